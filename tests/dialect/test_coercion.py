"""coerce_implicitly(): the casts Spark's analyser adds, written out only where operand types are known."""

from __future__ import annotations

import pytest

from cloudsql_cos_ts.dialect import translate
from cloudsql_cos_ts.flowlogs.schema import FLOW_COLUMNS, RELATIONS, SOURCE

SCHEMAS = {**RELATIONS, SOURCE: FLOW_COLUMNS}
TS = "CAST(start_time AS TIMESTAMP)"  # Spark's spelling of what the engine is given

# (IBM SQL, the same statement as written for Spark)
CASES = [
    ("SELECT hour(start_time) FROM FLOW_FLAT", f"SELECT HOUR({TS}) FROM FLOW_FLAT"),
    ("SELECT minute(f.start_time) FROM flow_flat f", (
        "SELECT MINUTE(CAST(f.start_time AS TIMESTAMP)) FROM flow_flat AS f"
    )),
    (
        'SELECT 1 FROM FLOW_FLAT WHERE start_time > TIMESTAMP "2020-07-24 02:00:00"',
        f"SELECT 1 FROM FLOW_FLAT WHERE {TS} > CAST('2020-07-24 02:00:00' AS TIMESTAMP)",
    ),
    (
        "SELECT 1 FROM FLOW_FLAT WHERE DATE '2020-07-24' <= start_time",
        "SELECT 1 FROM FLOW_FLAT WHERE CAST('2020-07-24' AS DATE) <= CAST(start_time AS DATE)",
    ),
    (
        "SELECT 1 FROM FLOW_FLAT "
        "WHERE capture_end_time BETWEEN TIMESTAMP '2020-07-24 02:00:00' AND current_timestamp()",
        "SELECT 1 FROM FLOW_FLAT WHERE CAST(capture_end_time AS TIMESTAMP) BETWEEN "
        "CAST('2020-07-24 02:00:00' AS TIMESTAMP) AND CURRENT_TIMESTAMP()",
    ),
    ("SELECT 1 FROM FLOW_FLAT WHERE target_port = '443'", (
        "SELECT 1 FROM FLOW_FLAT WHERE target_port = CAST('443' AS INT)"
    )),
    ("SELECT sum(start_time), -end_time FROM FLOW_FLAT", (
        "SELECT SUM(CAST(start_time AS DOUBLE)), -CAST(end_time AS DOUBLE) FROM FLOW_FLAT"
    )),
    ("SELECT target_port * '2', start_time - INTERVAL 1 HOUR FROM FLOW_FLAT", (
        f"SELECT target_port * CAST('2' AS DOUBLE), {TS} - INTERVAL '1' HOUR FROM FLOW_FLAT"
    )),
    ("SELECT quarter(start_time), date_trunc('HOUR', start_time) FROM FLOW_FLAT", (
        f"SELECT QUARTER(CAST(start_time AS DATE)), DATE_TRUNC('HOUR', {TS}) FROM FLOW_FLAT"
    )),
    ("SELECT add_months(start_time, 1), round(end_time, 1), pow(start_time, end_time) FROM FLOW_FLAT", (
        "SELECT ADD_MONTHS(CAST(start_time AS DATE), 1), ROUND(CAST(end_time AS DOUBLE), 1), "
        "POWER(CAST(start_time AS DOUBLE), CAST(end_time AS DOUBLE)) FROM FLOW_FLAT"
    )),
    # IN and coalesce mixing text with other types: Spark promotes the others to text
    ("SELECT 1 FROM FLOW_FLAT WHERE capture_start_time IN ('2020-07-24 02:00:00', '2020-07-24 03:00:00')", (
        "SELECT 1 FROM FLOW_FLAT WHERE CAST(capture_start_time AS STRING) IN ('2020-07-24 02:00:00', "
        "'2020-07-24 03:00:00')"
    )),
    ("SELECT coalesce(start_time, capture_start_time), target_port IN ('443', 22) FROM FLOW_FLAT", (
        "SELECT COALESCE(start_time, CAST(capture_start_time AS STRING)), "
        "CAST(target_port AS STRING) IN ('443', CAST(22 AS STRING)) FROM FLOW_FLAT"
    )),
    ("SELECT 1 FROM FLOW_FLAT WHERE target_port IN (22, 443) AND coalesce(NULL, start_time) = ''", (
        "SELECT 1 FROM FLOW_FLAT WHERE target_port IN (22, 443) AND COALESCE(NULL, start_time) = ''"
    )),
    # a derived table, a CTE and FLOW's records keep their types
    ("SELECT hour(x) FROM (SELECT start_time AS x FROM FLOW_FLAT) t", (
        "SELECT HOUR(CAST(x AS TIMESTAMP)) FROM (SELECT start_time AS x FROM FLOW_FLAT) AS t"
    )),
    ("WITH c AS (SELECT start_time FROM FLOW_FLAT) SELECT hour(start_time) FROM c", (
        f"WITH c AS (SELECT start_time FROM FLOW_FLAT) SELECT HOUR({TS}) FROM c"
    )),
    ("SELECT hour(r.start_time) FROM FLOW LATERAL VIEW explode(flow_logs) AS r", (
        "SELECT HOUR(CAST(r.start_time AS TIMESTAMP)) FROM FLOW LATERAL VIEW EXPLODE(flow_logs) AS r"
    )),
    ("SELECT hour(start_time) FROM FLOW_FLAT f JOIN FLOW_FLAT g ON f.start_time = g.capture_start_time", (
        "SELECT HOUR(start_time) FROM FLOW_FLAT AS f JOIN FLOW_FLAT AS g "
        "ON CAST(f.start_time AS TIMESTAMP) = g.capture_start_time"  # start_time alone is ambiguous: left alone
    )),
    # nothing to cast: types agree, or a type is unknown
    ("SELECT 1 FROM FLOW_FLAT WHERE start_time > '2020-07-24'", (
        "SELECT 1 FROM FLOW_FLAT WHERE start_time > '2020-07-24'"
    )),
    ("SELECT hour(capture_start_time) FROM FLOW_FLAT", "SELECT HOUR(capture_start_time) FROM FLOW_FLAT"),
    ("SELECT hour(t) FROM __PREV_A WHERE t > TIMESTAMP '2020-01-01 00:00:00'", (
        "SELECT HOUR(t) FROM __PREV_A WHERE t > CAST('2020-01-01 00:00:00' AS TIMESTAMP)"
    )),
    ("SELECT hour(capture_end_time) FROM __SOURCE", "SELECT HOUR(capture_end_time) FROM __SOURCE"),
]


@pytest.mark.parametrize(("sql", "spark"), CASES)
def test_casts_spark_would_add(sql: str, spark: str) -> None:
    assert translate(sql, dialect="spark", schemas=SCHEMAS).sql == spark


def test_duckdb_gets_conversions_that_never_fail() -> None:
    sql = 'SELECT hour(start_time) FROM FLOW_FLAT WHERE start_time > TIMESTAMP "2020-07-24 02:00:00"'
    assert translate(sql, dialect="duckdb", schemas=SCHEMAS).sql == (
        "SELECT HOUR(TRY_CAST(TRY_CAST(start_time AS TIMESTAMPTZ) AS TIMESTAMP)) FROM FLOW_FLAT "
        "WHERE TRY_CAST(TRY_CAST(start_time AS TIMESTAMPTZ) AS TIMESTAMP) "
        "> TRY_CAST('2020-07-24 02:00:00' AS TIMESTAMPTZ)"
    )


def test_without_schemas_nothing_is_cast() -> None:
    sql = "SELECT hour(start_time) FROM FLOW_FLAT"
    assert translate(sql, dialect="spark").sql == "SELECT HOUR(start_time) FROM FLOW_FLAT"
