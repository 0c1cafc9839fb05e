"""The pruning rule through the plugin process, over the hand-made real-format objects.

IBM's documented ``CAST(capture_start_time AS date) = DATE("…")`` answers for that day whatever the
dashboard range; a query without a time predicate reads the dashboard range exactly and says so;
``unfilteredQueries: wholeSource`` reads everything, and a scan over ``scanLimitObjects`` is a 400.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cloudsql_cos_ts.proto import backend_pb2 as pb
from tests.plugin_host import PluginProcess, data_query, datasource_context, decode_frames, frame_meta
from tests.real_objects.cases import CASES, document_of, write

ELSEWHERE = (0, 3_600_000)  # a dashboard range of 1970: no object there
IBM_DAY = "SELECT count(*) AS n FROM FLOW_FLAT WHERE CAST(capture_start_time AS date) = DATE('2020-07-01')"
NO_PREDICATE = "SELECT count(*) AS n FROM FLOW_FLAT"


def _ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


@pytest.fixture(scope="module")
def bucket(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PluginProcess, Path]]:
    root = tmp_path_factory.mktemp("scan-rule")
    write(root / "bucket")
    process = PluginProcess(cache_dir=root / "cache").start()
    yield process, root / "bucket"
    process.stop()


def _run(bucket: tuple[PluginProcess, Path], sql: str, span: tuple[int, int], **settings: Any) -> pb.DataResponse:
    plugin, folder = bucket
    query = data_query("A", {"rawSql": sql, "format": "table", "cacheTtlSeconds": 0}, from_ms=span[0], to_ms=span[1])
    uid = f"scan-{sorted(settings.items())}"
    return plugin.query(query, context=datasource_context({"source": str(folder), **settings}, uid=uid))["A"]


def _count(answer: pb.DataResponse) -> int:
    assert answer.status == 200, answer.error
    (table,) = decode_frames(answer)
    return int(table.column("n").to_pylist()[0])


def _notices(answer: pb.DataResponse) -> list[str]:
    return [n["text"] for n in frame_meta(decode_frames(answer)[0]).get("notices", [])]


def _records_overlapping(start: str, end: str) -> int:
    """Plain Python: the records of the readable objects whose capture window overlaps [start, end]."""
    total = 0
    for case in CASES:
        if case.damaged:
            continue
        doc = document_of(case)
        if doc["capture_start_time"] <= end and doc["capture_end_time"] >= start:
            total += len(doc["flow_logs"])
    return total


def test_ibm_documented_day_answers_whatever_the_dashboard_range(bucket: tuple[PluginProcess, Path]) -> None:
    answer = _run(bucket, IBM_DAY, ELSEWHERE)
    assert _count(answer) == _records_overlapping("0000", "9999") and not _notices(answer)


@pytest.mark.parametrize(("start", "end"), [("2020-07-01T20:00:00Z", "2020-07-01T20:30:00Z"),
                                            ("2020-07-01T20:57:00Z", "2020-07-01T21:00:00Z")])
def test_no_time_predicate_reads_the_dashboard_range_exactly(
    bucket: tuple[PluginProcess, Path], start: str, end: str
) -> None:
    answer = _run(bucket, NO_PREDICATE, (_ms(start), _ms(end)))
    assert _count(answer) == _records_overlapping(start, end)
    assert any("the dashboard range was applied" in text for text in _notices(answer))


def test_whole_source_mode_and_its_scan_limit(bucket: tuple[PluginProcess, Path]) -> None:
    answer = _run(bucket, NO_PREDICATE, ELSEWHERE, unfilteredQueries="wholeSource")
    assert _count(answer) == _records_overlapping("0000", "9999") and not _notices(answer)
    limited = _run(bucket, NO_PREDICATE, ELSEWHERE, unfilteredQueries="wholeSource", scanLimitObjects=3)
    assert limited.status == 400
    assert "scan limit of 3 (setting scanLimitObjects)" in limited.error and "add a time filter" in limited.error
