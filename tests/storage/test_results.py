"""``$__dest`` result writing: each format reads back as the same table."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.settings.datasource import Credentials
from cloudsql_cos_ts.settings.locations import LocalLocation
from cloudsql_cos_ts.storage.results import write_result

TABLE = pa.table({"action": ["accepted", "rejected"], "n": [3, 4]})


@pytest.mark.parametrize(("fmt", "reader"), [("parquet", "read_parquet"), ("csv", "read_csv"), ("json", "read_json")])
def test_round_trip(tmp_path: Path, fmt: str, reader: str) -> None:
    where = write_result(TABLE, LocalLocation(tmp_path), fmt, "jobs/A", Credentials())  # type: ignore[arg-type]
    assert where == f"{tmp_path}/jobs/A/part-00000.{fmt}"
    rows = duckdb.sql(f"SELECT action, n FROM {reader}('{where}') ORDER BY n").fetchall()
    assert rows == [("accepted", 3), ("rejected", 4)]


def test_suffix_cannot_escape(tmp_path: Path) -> None:
    with pytest.raises(BadRequest):
        write_result(TABLE, LocalLocation(tmp_path), "csv", "../x", Credentials())
