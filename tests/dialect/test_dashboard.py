"""Every query of the VPC flow-log dashboard (content/dashboards/vpc-flow-logs.json) and the
reconstructed IBM examples, expanded, translated and executed on DuckDB; values checked against a
plain-Python computation over the same records."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import duckdb
import pyarrow as pa

from cloudsql_cos_ts.dialect import translate
from cloudsql_cos_ts.macros import DestSpec, apply_fills, expand_macros
from tests.dialect.conftest import FLOWS, RANGE, SCANNED, SCANNER, Flow, context, flow_table, run

TARGET = SCANNED  # Grafana substitutes ${target_ip} before the query reaches the plugin


def _in_range(moment: datetime) -> bool:
    return RANGE.start <= moment <= RANGE.end


def _naive(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None)


def _flows(**conditions: str) -> list[Flow]:
    return [f for f in FLOWS if all(getattr(f, k) == v for k, v in conditions.items())]


def test_variable_target_ip(duck: duckdb.DuckDBPyConnection) -> None:
    sql = (
        'SELECT DISTINCT target_ip FROM FLOW_FLAT WHERE direction = "I" '
        "AND $__timeFilterColumn(start_time, string) ORDER BY target_ip"
    )
    expected = sorted({f.target_ip for f in _flows(direction="I") if _in_range(f.start)})
    assert run(duck, sql) == [(ip,) for ip in expected]


def test_variable_target_ip_private(duck: duckdb.DuckDBPyConnection) -> None:
    sql = (
        'SELECT DISTINCT concat(target_ip, " (", network_interface_id, ")") AS label, target_ip AS value '
        'FROM FLOW_FLAT WHERE direction = "I" ORDER BY label'
    )
    expected = sorted({(f"{f.target_ip} ({f.network_interface_id})", f.target_ip) for f in _flows(direction="I")})
    assert run(duck, sql) == expected


def test_p1_data_schema(duck: duckdb.DuckDBPyConnection) -> None:
    rows = run(duck, "SELECT * FROM DESCRIBE(FLOW_FLAT)")
    assert [row[0] for row in rows] == flow_table().column_names
    assert dict((name, kind) for name, kind, _ in rows)["capture_start_time"] == "TIMESTAMP"


def test_p2_reject_accept_ratio(duck: duckdb.DuckDBPyConnection) -> None:
    sql = f"""SELECT sum(rejected) AS rejected, sum(accepted) AS accepted
FROM (SELECT start_time,
             CASE WHEN action = "rejected" THEN 1 ELSE 0 END AS rejected,
             CASE WHEN action = "accepted" THEN 1 ELSE 0 END AS accepted
      FROM FLOW_FLAT
      WHERE target_ip = "{TARGET}")
WHERE $__timeFilter(string)"""
    flows = [f for f in _flows(target_ip=TARGET) if _in_range(f.start)]
    expected = (sum(f.action == "rejected" for f in flows), sum(f.action == "accepted" for f in flows))
    assert run(duck, sql, context(time_column="start_time")) == [expected]


def _hourly(flows: list[Flow]) -> Counter[tuple[str, int]]:
    return Counter((f.action, int(f.start.timestamp() * 1000) // 3_600_000 * 3_600_000) for f in flows)


def test_p3_chained_time_series(duck: duckdb.DuckDBPyConnection) -> None:
    query_a = f"""SELECT action, to_timestamp(start_time) AS conn_time, 1.0 AS one
FROM FLOW_FLAT
WHERE target_ip = "{TARGET}" AND $__timeFilterColumn(start_time, string)
INTO $__dest(parquet)"""
    query_b = """WITH series AS (
  SELECT action, ts FROM $__source_prev(A)
  USING TIME_SERIES_FORMAT(key="action", timetick="conn_time", value="one") IN ts
)
SELECT action, TS_EXPLODE(TS_SEG_COUNT(TS_SEGMENT_BY_TIME(ts, 3600000, 3600000))) AS (tt, value)
FROM series"""
    expansion_a = expand_macros(query_a, context())
    assert expansion_a.dest == DestSpec("parquet", "")
    result_a = duck.sql(translate(expansion_a.sql, dialect="duckdb").sql).to_arrow_table()
    expansion_b = expand_macros(query_b, context())
    assert expansion_b.prev_refs == ("A",)
    translation_b = translate(expansion_b.sql, dialect="duckdb")
    assert translation_b.referenced == frozenset({"__PREV_A"})
    duck.register("__PREV_A", result_a)
    try:
        rows = duck.execute(translation_b.sql).fetchall()
    finally:
        duck.unregister("__PREV_A")
    expected = _hourly([f for f in _flows(target_ip=TARGET) if _in_range(f.start)])
    assert {(action, tt): value for action, tt, value in rows} == {k: float(v) for k, v in expected.items()}
    assert {action for action, _, _ in rows} == {"accepted", "rejected"}


def test_p3_query_b_on_the_specified_prev_table(duck: duckdb.DuckDBPyConnection) -> None:
    """The brief's check: query B against a table __PREV_A(action, conn_time TIMESTAMP, one DOUBLE)."""
    prev = pa.table(
        {
            "action": ["accepted", "rejected", "accepted", "accepted"],
            "conn_time": pa.array(
                [
                    datetime(2024, 5, 6, 10, 5),
                    datetime(2024, 5, 6, 10, 59),
                    datetime(2024, 5, 6, 10, 0),
                    datetime(2024, 5, 6, 12, 30),
                ],
                pa.timestamp("us"),
            ),
            "one": pa.array([1.0] * 4, pa.float64()),
        }
    )
    sql = expand_macros(
        'WITH series AS (SELECT action, ts FROM $__source_prev(A) USING TIME_SERIES_FORMAT(key="action", '
        'timetick="conn_time", value="one") IN ts) SELECT action, TS_EXPLODE(TS_SEG_COUNT(TS_SEGMENT_BY_TIME(ts, '
        "3600000, 3600000))) AS (tt, value) FROM series",
        context(),
    ).sql
    duck.register("__PREV_A", prev)
    try:
        rows = sorted(duck.execute(translate(sql, dialect="duckdb").sql).fetchall())
    finally:
        duck.unregister("__PREV_A")
    ten, eleven, twelve = (1714989600000 + hour * 3_600_000 for hour in range(3))
    # accepted's hour 11 had no connection: an empty window, counted 0
    assert rows == [
        ("accepted", ten, 2.0),
        ("accepted", eleven, 0.0),
        ("accepted", twelve, 1.0),
        ("rejected", ten, 1.0),
    ]


def test_p4_top_rejected_sources(duck: duckdb.DuckDBPyConnection) -> None:
    sql = f"""SELECT initiator_ip, count(*) AS rejected
FROM FLOW_FLAT
WHERE target_ip = "{TARGET}" AND action = "rejected" AND $__timeFilterColumn(start_time, string)
GROUP BY initiator_ip
ORDER BY rejected DESC
LIMIT 25"""
    expected = Counter(f.initiator_ip for f in _flows(target_ip=TARGET, action="rejected") if _in_range(f.start))
    rows = run(duck, sql)
    assert dict(rows) == dict(expected)
    assert rows[0] == (SCANNER, expected[SCANNER])


def test_p5_top_rejected_targets(duck: duckdb.DuckDBPyConnection) -> None:
    sql = """SELECT target_ip, count(*) AS rejected
FROM FLOW_FLAT
WHERE action = "rejected" AND direction = "I" AND $__timeFilterColumn(capture_start_time, timestamp)
GROUP BY target_ip
ORDER BY rejected DESC
LIMIT 10"""
    expected = Counter(f.target_ip for f in _flows(action="rejected", direction="I") if _in_range(f.capture_start))
    assert run(duck, sql) == expected.most_common(10)


def test_p6_bad_actor(duck: duckdb.DuckDBPyConnection) -> None:
    sql = """SELECT initiator_ip, count(*) AS rejected, count(DISTINCT target_port) AS ports_probed
FROM FLOW_FLAT
WHERE action = "rejected" AND $__timeFilterColumn(connection_start_time, timestamp)
GROUP BY initiator_ip
ORDER BY rejected DESC
LIMIT 1"""
    flows = [f for f in _flows(action="rejected") if _in_range(f.connection_start)]
    scanner = [f for f in flows if f.initiator_ip == SCANNER]
    assert run(duck, sql) == [(SCANNER, len(scanner), len({f.target_port for f in scanner}))]


def test_alert_rejected_per_target_in_5_minutes(duck: duckdb.DuckDBPyConnection) -> None:
    sql = """SELECT $__timeGroup(start_time, '5m') AS time, target_ip, count(*) AS rejected
FROM FLOW_FLAT
WHERE action = "rejected" AND $__timeFilterColumn(start_time, string)
GROUP BY 1, 2
ORDER BY 1"""
    rows = run(duck, sql)
    expected = Counter(
        (_naive(f.start - timedelta(minutes=f.start.minute % 5, seconds=f.start.second)), f.target_ip)
        for f in _flows(action="rejected")
        if _in_range(f.start)
    )
    assert {(time, ip): n for time, ip, n in rows} == dict(expected)
    assert [row[0] for row in rows] == sorted(row[0] for row in rows)


def test_reconstructed_ibm_examples(duck: duckdb.DuckDBPyConnection) -> None:
    """The [reconstructed] panel queries of the IBM notes (section 7.5) run unchanged."""
    duck.execute("CREATE OR REPLACE TEMP VIEW __EXTERNAL_1 AS SELECT * FROM FLOW_FLAT")
    queries = [
        "SELECT name, type, nullable FROM DESCRIBE(cos://us-south/bucket/ibm_vpc_flowlogs_v1/ STORED AS JSON)",
        f"""SELECT sum(CASE WHEN action = "rejected" THEN 1 ELSE 0 END) AS rejected,
       sum(CASE WHEN action = "accepted" THEN 1 ELSE 0 END) AS accepted,
       sum(CASE WHEN action = "rejected" THEN 1 ELSE 0 END) / count(1) AS reject_ratio
FROM FLOW_FLAT
WHERE target_ip = "{TARGET}" AND $__timeFilterColumn(start_time, string)""",
        """WITH flows AS (
  SELECT action, to_timestamp(start_time) AS start_ts, 1.0 AS one
  FROM FLOW_FLAT WHERE $__timeFilterColumn(start_time, string)),
ts_tab AS (
  SELECT action, ts FROM flows
  USING TIME_SERIES_FORMAT(key="action", timetick="start_ts", value="one") IN ts),
hourly AS (
  SELECT action, TS_EXPLODE(TS_SEG_COUNT(TS_SEGMENT_BY_TIME(ts, 3600000, 3600000))) AS (tt, value)
  FROM ts_tab)
SELECT tt, value, action FROM hourly""",
        """SELECT (floor(unix_timestamp(to_timestamp(start_time))/3600)*3600000) AS tt, count(1) AS value, action
FROM FLOW_FLAT WHERE $__timeFilterColumn(start_time, string) GROUP BY 1, action ORDER BY tt""",
        """SELECT initiator_ip, count(DISTINCT target_port) AS ports, count(DISTINCT target_ip) AS targets,
       count(1) AS attempts
FROM FLOW_FLAT
WHERE action = "rejected" AND direction = "I" AND $__timeFilterColumn(start_time, string)
GROUP BY initiator_ip HAVING count(DISTINCT target_port) > 10
ORDER BY attempts DESC LIMIT 25""",
    ]
    schema, ratio, hourly_ts, hourly_plain, actors = (run(duck, q) for q in queries)
    assert [row[0] for row in schema] == flow_table().column_names
    rejected, accepted, reject_ratio = ratio[0]
    assert reject_ratio == rejected / (rejected + accepted)
    in_range = [f for f in FLOWS if _in_range(f.start)]
    expected = {k: float(v) for k, v in _hourly(in_range).items()}
    assert {(action, tt): value for tt, value, action in hourly_ts} == expected
    assert {(action, int(tt)): float(value) for tt, value, action in hourly_plain} == expected
    assert [row[0] for row in actors] == [SCANNER]


def test_alert_query_with_zero_fill(duck: duckdb.DuckDBPyConnection) -> None:
    """$__timeGroup(..., 0): every 5-minute bucket of the range exists for every target after apply_fills."""
    sql = """SELECT $__timeGroup(start_time, '5m', 0) AS time, target_ip, count(*) AS rejected
FROM FLOW_FLAT WHERE action = "rejected" AND $__timeFilterColumn(start_time, string) GROUP BY 1, 2 ORDER BY 1"""
    expansion = expand_macros(sql, context())
    table = duck.sql(translate(expansion.sql, dialect="duckdb").sql).to_arrow_table()
    filled = apply_fills(table, expansion.fills, RANGE, 10_000)
    buckets = (RANGE.to_ms - RANGE.from_ms) // 300_000 + 1
    targets = set(table.column("target_ip").to_pylist())
    assert filled.num_rows == buckets * len(targets)
    assert sum(filled.column("rejected").to_pylist()) == sum(table.column("rejected").to_pylist())
    assert filled.schema == table.schema
