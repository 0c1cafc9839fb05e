"""Spark's implicit casts, through the plugin process, over objects shaped like IBM's real ones.

IBM SQL Query (Spark 3, ANSI off) cast a string operand silently where a timestamp, date or number
was needed; IBM's own examples rely on it because ``FLOW_FLAT`` keeps the record times as text.
Over two hand-made objects (``tests/real_objects``): 8 records, 3 with a usable ``start_time``
(20:32:10 and 20:33:05 inbound to the web server, 20:34:02 outbound DHCP), 4 with ``""`` and 1 with
``01/07/2020 20:33``; target ports 67, 67, 22, 23, 25, 80, 3389 and 443; the web server's object
ends its capture at 20:36:43, the DHCP client's at 20:38:18. ``CASES`` also runs on Spark in
``tests/engines/test_spark_parity.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.real_objects.serving import Served, serving, table_rows

HOUR_20 = datetime(2020, 7, 1, 20, tzinfo=UTC)
OBJECTS = ["empty_and_bad_times", "count_mismatch_empty_times"]

# (id, SQL, expected rows)
CASES: list[tuple[str, str, list[tuple[Any, ...]]]] = [
    ("hour of a string column", (
        "SELECT hour(start_time) AS h, count(*) AS n FROM FLOW_FLAT GROUP BY 1 ORDER BY 1 NULLS LAST"
    ), [(20, 3), (None, 5)]),
    ("minute and second", (
        "SELECT minute(start_time) AS m, second(start_time) AS s FROM FLOW_FLAT "
        "WHERE minute(start_time) IS NOT NULL ORDER BY 1, 2"
    ), [(32, 10), (33, 5), (34, 2)]),
    ("string > IBM's double-quoted TIMESTAMP", (
        'SELECT count(*) AS n FROM FLOW_FLAT WHERE start_time > TIMESTAMP "2020-07-01 20:33:00"'
    ), [(2,)]),
    ("string BETWEEN timestamps", (
        "SELECT count(*) AS n FROM FLOW_FLAT "
        "WHERE start_time BETWEEN TIMESTAMP '2020-07-01 20:32:00' AND TIMESTAMP '2020-07-01 20:33:30'"
    ), [(2,)]),
    ("timeFilterColumn of capture_end_time as timestamp", (
        "SELECT count(*) AS n FROM FLOW_FLAT WHERE $__timeFilterColumn(capture_end_time, timestamp) "
        "AND capture_end_time < TIMESTAMP '2020-07-01 20:37:00'"
    ), [(6,)]),
    ("string >= DATE", "SELECT count(*) AS n FROM FLOW_FLAT WHERE start_time >= DATE '2020-07-01'", [(3,)]),
    ("string = timestamp column", (
        "SELECT count(*) AS n FROM FLOW_FLAT WHERE connection_start_time = start_time"
    ), [(3,)]),
    ("date_trunc and quarter of a string", (
        "SELECT date_trunc('HOUR', start_time) AS t, quarter(start_time) AS q, count(*) AS n FROM FLOW_FLAT "
        "GROUP BY 1, 2 ORDER BY 1 NULLS LAST"
    ), [(HOUR_20, 3, 3), (None, None, 5)]),
    ("string operand in arithmetic", "SELECT sum(target_port + '1') AS s FROM FLOW_FLAT", [(4124.0,)]),
    ("add_months and round of strings", (
        "SELECT month(add_months(start_time, 1)) AS m, round(target_port || '.4') AS r FROM FLOW_FLAT "
        "WHERE start_time LIKE '2020-07-01T20:34%'"
    ), [(8, 67.0)]),
    ("IN list of text against a timestamp column compares text", (
        "SELECT count(*) AS n FROM FLOW_FLAT "
        "WHERE connection_start_time IN ('2020-07-01 20:32:10', '2020-07-01T20:33:05Z')"
    ), [(1,)]),
    ("coalesce of a timestamp and text is text", (
        "SELECT coalesce(connection_start_time, start_time) AS t, count(*) AS n FROM FLOW_FLAT "
        "GROUP BY 1 ORDER BY 1 NULLS LAST"
    ), [("", 1), *((f"2020-07-01 20:{t}", 1) for t in ("32:10", "33:05", "33:06", "33:07", "33:08")),
        ("2020-07-01 20:34:02", 2)]),
    ("calendar functions numbered as in Spark, dates as frames carry them", (  # 2020-07-01: a Wednesday
        "SELECT dayofweek(start_time) AS dw, weekday(start_time) AS wd, trunc(start_time, 'MM') AS m, "
        "date_add(start_time, 1) AS d, add_months(start_time, 1) AS am FROM FLOW_FLAT "
        "WHERE start_time LIKE '2020-07-01T20:34%'"
    ), [(4, 2, *(datetime(2020, m, d, tzinfo=UTC) for m, d in ((7, 1), (7, 2), (8, 1))))]),
]


@pytest.fixture(scope="module")
def plugin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serving(tmp_path_factory.mktemp("implicit-casts"), OBJECTS, uid="implicit-casts") as served:
        yield served


@pytest.mark.parametrize(("sql", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_spark_casts_string_operands(plugin: Served, sql: str, expected: list[tuple[Any, ...]]) -> None:
    assert table_rows(plugin, sql) == expected
