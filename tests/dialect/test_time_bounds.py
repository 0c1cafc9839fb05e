"""The time bounds a query's own predicates put on each relation it reads (what pruning relies on)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cloudsql_cos_ts.dialect import translate
from cloudsql_cos_ts.dialect.time_bounds import TimeBounds


def _ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


DAY = TimeBounds(_ms("2020-07-24T00:00:00"), _ms("2020-07-25T00:00:00") - 1)

# (SQL, bounds of FLOW_FLAT or FLOW; None: no time predicate)
CASES = [
    ("SELECT * FROM FLOW WHERE CAST(capture_start_time AS date) = DATE('2020-07-24')", DAY),
    ("SELECT * FROM FLOW_FLAT WHERE year = 2020 AND month = 7 AND day = day(DATE('2020-07-24'))", DAY),
    ("SELECT * FROM FLOW_FLAT WHERE year = 2020 AND month = 7 AND day = 24 AND hour = 3",
     TimeBounds(_ms("2020-07-24T03:00:00"), _ms("2020-07-24T04:00:00") - 1)),
    ("SELECT * FROM FLOW_FLAT WHERE to_timestamp(end_time) BETWEEN TIMESTAMP '2020-07-24 01:00:00' "
     "AND TIMESTAMP '2020-07-24 02:00:00'", TimeBounds(_ms("2020-07-24T01:00:00"), _ms("2020-07-24T02:00:00"))),
    ("SELECT * FROM FLOW_FLAT WHERE start_time > '2020-07-24T05:00:00Z'", TimeBounds(DAY.from_ms, None)),
    ("SELECT * FROM FLOW_FLAT WHERE start_time < '2020-07-24T05:00:00Z'", None),
    ("SELECT * FROM FLOW_FLAT WHERE connection_start_time >= TIMESTAMP '2020-07-24 00:00:00'",
     TimeBounds(DAY.from_ms, None)),
    ("SELECT * FROM FLOW_FLAT WHERE connection_start_time <= TIMESTAMP '2020-07-24 00:00:00'", None),
    ("SELECT * FROM FLOW_FLAT WHERE capture_start_time >= TIMESTAMP '2020-07-24 00:00:00' OR action = 'rejected'",
     None),
    ("SELECT * FROM (SELECT * FROM FLOW_FLAT) WHERE capture_start_time >= TIMESTAMP '2020-07-24 00:00:00'", None),
    ("SELECT * FROM FLOW_FLAT a JOIN FLOW_FLAT b ON a.target_ip = b.initiator_ip "
     "WHERE a.capture_start_time >= TIMESTAMP '2020-07-24 00:00:00'", None),
    ("WITH d AS (SELECT * FROM FLOW WHERE CAST(capture_start_time AS date) = DATE('2020-07-24')) SELECT * FROM d", DAY),
]


@pytest.mark.parametrize(("sql", "bounds"), CASES, ids=[str(i) for i in range(len(CASES))])
def test_bounds(sql: str, bounds: TimeBounds | None) -> None:
    found = translate(sql, dialect="duckdb").time_bounds
    assert set(found.values()) == {bounds}


def test_reading_the_bounds_leaves_the_tree_whole() -> None:
    """A BETWEEN's operands stay in the tree: the empty time of a real record must still become NULL."""
    sql = translate("SELECT 1 FROM FLOW_FLAT WHERE to_timestamp(end_time) BETWEEN TIMESTAMP '2020-07-24 01:00:00' "
                    "AND TIMESTAMP '2020-07-24 02:00:00'", dialect="duckdb").sql
    assert " CAST(" not in sql and sql.count("TRY_CAST(") >= 3
