"""The Logs format through the plugin process over IBM's real object shapes: empty and unparseable
``start_time`` values leave their records out with a warning (NULL, as everywhere in the plugin),
the row limit and the result cache treat a logs answer as they treat a table."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.plugin_host import data_query, datasource_context, decode_frames, frame_meta
from tests.real_objects.serving import FROM_MS, TO_MS, Served, serving

OBJECTS = ["empty_and_bad_times", "count_mismatch_empty_times"]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, Path]]:
    root = tmp_path_factory.mktemp("logs-format")
    with serving(root, OBJECTS, uid="logs-format") as running:
        yield running, root / "bucket"


def logs_answer(served: Served, sql: str, **model: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    process, context = served
    query = data_query("A", {"rawSql": sql, "format": "logs", **model}, from_ms=FROM_MS, to_ms=TO_MS)
    answer = process.query(query, context=context)["A"]
    assert answer.status == 200, answer.error
    (frame,) = decode_frames(answer)
    return frame_meta(frame), frame.to_pylist()


def test_flow_records_become_log_lines_and_records_without_a_time_are_left_out(
    served: tuple[Served, Path],
) -> None:
    meta, rows = logs_answer(served[0], "SELECT * FROM FLOW_FLAT")
    assert meta["type"] == "log-lines" and meta["preferredVisualisationType"] == "logs"
    # 8 records: 4 with "" and 1 with "01/07/2020 20:33" as start_time have no time
    assert {"severity": "warning", "text": "5 rows without a time value were left out"} in meta["notices"]
    assert [row["timestamp"].isoformat() for row in rows] == [
        "2020-07-01T20:32:10+00:00",
        "2020-07-01T20:33:05+00:00",
        "2020-07-01T20:34:02+00:00",
    ]
    assert [row["body"].split(" → ")[0] for row in rows] == [
        "ACCEPT tcp 203.0.113.9:51514",
        "REJECT tcp 198.51.100.23:40000",
        "ACCEPT udp 10.240.128.4:68",
    ]
    assert [row["severity"] for row in rows] == ["info", "warning", "info"]
    labels = json.loads(rows[1]["labels"])
    assert labels["action"] == "rejected" and labels["direction"] == "ingress" and labels["protocol"] == "tcp"
    assert len({row["id"] for row in rows}) == 3


def test_a_repeated_logs_query_is_served_from_the_result_cache(served: tuple[Served, Path]) -> None:
    sql = "SELECT start_time, action, initiator_ip, target_ip FROM FLOW_FLAT -- cached"
    first, rows = logs_answer(served[0], sql, cacheTtlSeconds=300)
    second, again = logs_answer(served[0], sql, cacheTtlSeconds=300)
    assert first["custom"]["cache"]["hit"] is False and second["custom"]["cache"]["hit"] is True
    assert again == rows and second["type"] == "log-lines"


def test_the_row_limit_cuts_a_logs_answer(served: tuple[Served, Path]) -> None:
    (process, _), source = served
    limited = datasource_context({"source": str(source), "rowLimit": 2}, uid="logs-format-limited")
    meta, rows = logs_answer((process, limited), "SELECT * FROM FLOW_FLAT WHERE start_time <> ''")
    assert len(rows) <= 2
    assert any("cut at 2 rows" in notice["text"] for notice in meta["notices"])
