"""IBM's FLOW column ``was_termined`` reads the real field ``was_terminated``, through the plugin process."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cloudsql_cos_ts.proto import backend_pb2 as pb
from tests.plugin_host import PluginProcess, data_query, datasource_context, decode_frames
from tests.real_objects.cases import readable_records, write
from tests.real_objects.serving import FROM_MS, TO_MS

RECORDS = readable_records()
TERMINATED = sum(1 for r in RECORDS if r["was_terminated"])
OPEN = len(RECORDS) - TERMINATED

# (id, SQL, output column names, rows)
NAME_CASES: list[tuple[str, str, list[str], list[tuple[Any, ...]]]] = [
    ("FLOW_FLAT filter", "SELECT count(*) AS n FROM FLOW_FLAT WHERE was_termined", ["n"], [(TERMINATED,)]),
    ("select item keeps IBM's name", (
        "SELECT was_termined, count(*) AS n FROM FLOW_FLAT GROUP BY was_termined ORDER BY was_termined"
    ), ["was_termined", "n"], [(False, OPEN), (True, TERMINATED)]),
    ("FLOW exploded as IBM's FLOW_FLAT view did", (
        "SELECT count(*) AS n FROM FLOW LATERAL VIEW explode(flow_logs) AS flow WHERE flow.was_termined"
    ), ["n"], [(TERMINATED,)]),
    ("the real name still works", "SELECT count(*) AS n FROM FLOW_FLAT WHERE NOT was_terminated", ["n"], [(OPEN,)]),
    ("a user's own alias is the user's", (
        "SELECT n AS was_termined FROM (SELECT count(*) AS n FROM FLOW_FLAT) ORDER BY was_termined"
    ), ["was_termined"], [(len(RECORDS),)]),
]


@pytest.fixture(scope="module")
def plugin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PluginProcess, pb.PluginContext]]:
    root = tmp_path_factory.mktemp("ibm-names")
    write(root / "bucket")
    process = PluginProcess(cache_dir=root / "cache").start()
    yield process, datasource_context({"source": str(root / "bucket")}, uid="ibm-names")
    process.stop()


@pytest.mark.parametrize(("sql", "names", "expected"), [c[1:] for c in NAME_CASES], ids=[c[0] for c in NAME_CASES])
def test_was_termined_reads_was_terminated(
    plugin: tuple[PluginProcess, pb.PluginContext], sql: str, names: list[str], expected: list[tuple[Any, ...]]
) -> None:
    process, context = plugin
    answer = process.query(data_query("A", {"rawSql": sql, "format": "table"}, from_ms=FROM_MS, to_ms=TO_MS),
                           context=context)["A"]
    assert answer.status == 200, answer.error
    (table,) = decode_frames(answer)
    assert table.column_names == names
    assert [tuple(row.values()) for row in table.to_pylist()] == expected
    assert 0 < TERMINATED < len(RECORDS)
