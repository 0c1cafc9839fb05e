"""Spark functions and literals translated to DuckDB give Spark's results (executed on DuckDB)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import duckdb
import pytest

from cloudsql_cos_ts.dialect import translate

TS = "to_timestamp('2024-05-06T10:01:12Z')"


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('"double quoted"', "double quoted"),
        ("'adjacent ''literals'", "adjacent literals"),  # Spark concatenates adjacent literals
        ("'it\\'s'", "it's"),
        (TS, datetime(2024, 5, 6, 10, 1, 12)),
        ("to_timestamp('2024-05-06T10:01:12.345Z')", datetime(2024, 5, 6, 10, 1, 12, 345000)),
        ("to_timestamp('2024-05-06 10:01:12', 'yyyy-MM-dd HH:mm:ss')", datetime(2024, 5, 6, 10, 1, 12)),
        (f"unix_timestamp({TS})", 1714989672),
        (f"to_unix_timestamp({TS})", 1714989672),
        ("unix_timestamp('2024-05-06 10:01:12')", 1714989672),
        ("unix_timestamp('2024-05-06T10:01:12Z')", 1714989672),
        ("unix_timestamp('06/05/2024', 'dd/MM/yyyy')", 1714953600),
        ("unix_timestamp('n/a', 'dd/MM/yyyy')", None),  # the parse one fix writes, another makes never fail
        (f"unix_millis({TS})", 1714989672000),
        ("from_unixtime(1714989672)", "2024-05-06 10:01:12"),
        ("from_unixtime(1714989672, 'yyyy-MM-dd HH:mm')", "2024-05-06 10:01"),
        ("timestamp_millis(1714989672345)", datetime(2024, 5, 6, 10, 1, 12, 345000)),
        ("timestamp_seconds(1714989672)", datetime(2024, 5, 6, 10, 1, 12)),
        ("timestamp_micros(1714989672000001)", datetime(2024, 5, 6, 10, 1, 12, 1)),
        (f"date_format({TS}, 'yyyy-MM-dd HH:mm')", "2024-05-06 10:01"),
        ("date_format(to_timestamp('2024-05-06T10:01:12Z'), 'HH')", "10"),
        (f"hour({TS})", 10),
        (f"minute({TS})", 1),
        (f"to_date({TS})", date(2024, 5, 6)),
        (f"date_trunc('hour', {TS})", datetime(2024, 5, 6, 10, 0)),
        ("concat('a', \" (\", 'b', \")\")", "a (b)"),
        ("concat('a', NULL)", None),
        ("cast(2999/1000 as long)", 2),
        ("cast(1714989672999/1000 as long)", 1714989672),
        ("cast(-2999/1000 as int)", -2),
        ("cast('42' as int)", 42),
        ("cast('x' as int)", None),
        ("7 / 2", 3.5),
        ("1 / 0", None),
        ("7 div 2", 3),
        ("size(array(1, 2, 3))", 3),
        ("lower('AbC')", "abc"),
        ("coalesce(NULL, 'x')", "x"),
        ("if(1 < 2, 'yes', 'no')", "yes"),
        ("nvl(NULL, 3)", 3),
        ("substring('abcdef', 2, 3)", "bcd"),
        ("regexp_extract('port=443', 'port=(\\\\d+)', 1)", "443"),
        ("round(2.567, 2)", Decimal("2.57")),
        ("dayofweek(DATE '2024-05-05')", 1),  # a Sunday: Spark counts 1 = Sunday ... 7 = Saturday
        ("dayofweek('2024-05-11')", 7),
        ("weekday(DATE '2024-05-05')", 6),  # Spark counts 0 = Monday ... 6 = Sunday
        ("weekday('2024-05-06')", 0),
        ("trunc(DATE '2024-05-17', 'MM')", date(2024, 5, 1)),
        ("trunc('2024-05-17 10:00:00', 'YYYY')", date(2024, 1, 1)),
        ("trunc(DATE '2024-05-17', 'week')", date(2024, 5, 13)),
        ("trunc(DATE '2024-05-17', 'hour')", None),  # not a unit of trunc in Spark
        ("date_trunc('MM', to_timestamp('2024-05-17 10:00:00'))", datetime(2024, 5, 1)),
        ("date_trunc('DD', to_timestamp('2024-05-17 10:00:00'))", datetime(2024, 5, 17)),
        ("add_months('2024-03-31', -1)", date(2024, 2, 29)),
        ("date_add('2024-05-17', 3)", date(2024, 5, 20)),
        ("date_sub(to_timestamp('2024-05-17 10:00:00'), 3)", date(2024, 5, 14)),
    ],
)
def test_scalar(duck: duckdb.DuckDBPyConnection, expression: str, expected: Any) -> None:
    sql = translate(f"SELECT {expression} AS v", dialect="duckdb").sql
    assert duck.execute(sql).fetchone() == (expected,), sql


def test_back_quoted_names_stay_identifiers(duck: duckdb.DuckDBPyConnection) -> None:
    sql = translate(
        'SELECT count(*) FROM FLOW_FLAT WHERE `vnic-id` = "vnic-1" AND target_ip = "10.240.0.5"', dialect="duckdb"
    ).sql
    assert sql == "SELECT COUNT(*) FROM FLOW_FLAT WHERE \"vnic-id\" = 'vnic-1' AND target_ip = '10.240.0.5'"
    assert duck.execute(sql).fetchone()[0] > 0  # type: ignore[index]


def test_unix_timestamp_of_a_timestamp_column(duck: duckdb.DuckDBPyConnection) -> None:
    sql = translate(
        "SELECT max(floor(unix_timestamp(to_timestamp(start_time)) / 3600) * 3600000) AS tt FROM FLOW_FLAT",
        dialect="duckdb",
    ).sql
    (value,) = duck.execute(sql).fetchone()  # type: ignore[misc]
    assert value % 3_600_000 == 0


def test_spark_output_keeps_spark_functions() -> None:
    sql = translate('SELECT timestamp_millis(5), unix_timestamp(x), `a-b` FROM t WHERE c = "s"', dialect="spark").sql
    assert sql == "SELECT TIMESTAMP_MILLIS(5), UNIX_TIMESTAMP(x), `a-b` FROM t WHERE c = 's'"
