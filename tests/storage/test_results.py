"""``$__dest`` result writing: each format reads back as the same table."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
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


def test_parquet_results_keep_dictionaries_for_text_only(tmp_path: Path) -> None:
    """Every value and type read back as written; only the text columns carry a dictionary."""
    table = pa.table(
        {
            "action": pa.array(["accepted", "rejected"] * 50),
            "label": pa.array(["a", "b"] * 50).dictionary_encode(),
            "at": pa.array(range(100), pa.timestamp("us")),
            "one": pa.array([1.0] * 100),
        }
    )
    where = write_result(table, LocalLocation(tmp_path), "parquet", "jobs/B", Credentials())
    assert pq.read_table(where).equals(table)
    row_group = pq.ParquetFile(where).metadata.row_group(0)
    with_dictionary = {
        row_group.column(i).path_in_schema
        for i in range(row_group.num_columns)
        if row_group.column(i).dictionary_page_offset is not None
    }
    assert with_dictionary == {"action", "label"}
