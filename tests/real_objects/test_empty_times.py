"""Empty and unparseable record times are NULL, through the plugin process, as IBM SQL Query read them.

IBM's own sample object holds ``"start_time": ""``; Spark with ANSI off turns such a string into
NULL in every conversion, so the record drops out of time filters and time groups and the query
answers. Over two hand-made objects: 8 records, 3 with a usable ``start_time`` (20:32:10 and
20:33:05 inbound, 20:34:02 outbound), 4 with ``""`` and 1 with ``01/07/2020 20:33``; one inbound
record has all three times ``""``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.plugin_host import data_query, decode_frames
from tests.real_objects.serving import FROM_MS, TO_MS, Served, serving, table_rows

OBJECTS = ["empty_and_bad_times", "count_mismatch_empty_times"]
HOUR_20 = datetime(2020, 7, 1, 20, tzinfo=UTC)
HOUR_20_MS = FROM_MS
HOUR_20_S = FROM_MS // 1000

TS_QUERY = """WITH series AS (
  SELECT direction, ts FROM FLOW_FLAT
  USING TIME_SERIES_FORMAT(key="direction", timetick="start_time", value="bytes_from_initiator") IN ts
)
SELECT direction, TS_EXPLODE(TS_SEG_COUNT(TS_SEGMENT_BY_TIME(ts, 3600000, 3600000))) AS (tt, value)
FROM series ORDER BY direction, tt"""

# (id, SQL, expected rows); the Time Column is start_time.
CASES: list[tuple[str, str, list[tuple[Any, ...]]]] = [
    ("timeFilterColumn string", "SELECT count(*) FROM FLOW_FLAT WHERE $__timeFilterColumn(start_time, string)", [(3,)]),
    ("timeFilter string", "SELECT count(*) FROM FLOW_FLAT WHERE $__timeFilter(string)", [(3,)]),
    ("timeFilter inferred", "SELECT count(*) FROM FLOW_FLAT WHERE $__timeFilter", [(3,)]),
    ("to_timestamp", "SELECT count(to_timestamp(start_time)), count(*) FROM FLOW_FLAT", [(3, 8)]),
    ("conversions", (
        "SELECT count(unix_timestamp(to_timestamp(start_time))), count(to_date(start_time)), "
        "count(hour(to_timestamp(start_time))), count(year(start_time)), count(date_format(start_time, 'HH')), "
        "count(CAST(start_time AS timestamp)), count(to_timestamp(start_time, 'yyyy-MM-dd HH:mm:ss')) "
        "FROM FLOW_FLAT"
    ), [(3, 3, 3, 3, 3, 3, 0)]),
    ("timeGroup filtered", (
        "SELECT $__timeGroup(start_time, '1h') AS t, count(*) FROM FLOW_FLAT "
        "WHERE $__timeFilterColumn(start_time, string) GROUP BY 1 ORDER BY 1"
    ), [(HOUR_20, 3)]),
    ("timeGroup NULL bucket", (
        "SELECT $__timeGroup(start_time, '1h') AS t, count(*) FROM FLOW_FLAT GROUP BY 1 ORDER BY 1 NULLS LAST"
    ), [(HOUR_20, 3), (None, 5)]),
    ("connection_start_time", (
        "SELECT count(connection_start_time) FROM FLOW_FLAT WHERE direction = 'I'"
    ), [(5,)]),
    ("timeEpoch", "SELECT $__timeEpoch(start_time) FROM FLOW_FLAT ORDER BY 1 NULLS LAST LIMIT 4", [
        (HOUR_20_S + 32 * 60 + 10,), (HOUR_20_S + 33 * 60 + 5,), (HOUR_20_S + 34 * 60 + 2,), (None,),
    ]),
    ("unixEpochGroupAlias", (
        "SELECT $__unixEpochGroupAlias(unix_timestamp(to_timestamp(start_time)), 1h), count(*) FROM FLOW_FLAT "
        "GROUP BY 1 ORDER BY 1 NULLS LAST"
    ), [(HOUR_20, 3), (None, 5)]),
    ("TIME_SERIES_FORMAT tick", TS_QUERY, [("I", HOUR_20_MS, 2.0), ("O", HOUR_20_MS, 1.0)]),
]


@pytest.fixture(scope="module")
def plugin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serving(tmp_path_factory.mktemp("empty-times"), OBJECTS, uid="empty-times") as served:
        yield served


@pytest.mark.parametrize(("sql", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_empty_time_is_null(plugin: Served, sql: str, expected: list[tuple[Any, ...]]) -> None:
    assert table_rows(plugin, sql) == expected


def test_alert_shape_leaves_null_times_out(plugin: Served, tmp_path: Path) -> None:
    """A time series grouped on start_time without a filter: the NULL bucket is left out with a notice."""
    process, context = plugin
    model = {
        "rawSql": "SELECT $__timeGroup(start_time, '1h') AS time, count(*) AS n FROM FLOW_FLAT GROUP BY 1",
        "format": "time_series",
        "timeColumn": "time",
    }
    answer = process.query(data_query("A", model, from_ms=FROM_MS, to_ms=TO_MS), context=context)["A"]
    assert answer.status == 200, answer.error
    (table,) = decode_frames(answer)
    assert table.column(1).to_pylist() == [3]
    assert b"without a time value" in table.schema.metadata[b"meta"]
