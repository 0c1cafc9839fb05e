"""Every macro form and every macro error message, table-driven."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.macros import DestSpec, MacroContext, TimeGroupFill, expand_macros, find_prev_refs
from cloudsql_cos_ts.timerange import TimeRange

FROM = "to_timestamp('2024-05-06T10:00:00.000Z')"
TO = "to_timestamp('2024-05-06T11:00:00.250Z')"
BUCKET_5M = "timestamp_millis(CAST(floor(unix_millis(to_timestamp({c})) / 300000) AS BIGINT) * 300000)"


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        # $__source anywhere a table can stand
        ("SELECT * FROM $__source", "SELECT * FROM __SOURCE"),
        ("SELECT * FROM $__source()", "SELECT * FROM __SOURCE"),
        ("SELECT * FROM t JOIN $__source s ON t.a = s.a", "SELECT * FROM t JOIN __SOURCE s ON t.a = s.a"),
        ("SELECT * FROM DESCRIBE($__source)", "SELECT * FROM DESCRIBE(__SOURCE)"),
        ("SELECT * FROM $__source_prev(A)", "SELECT * FROM __PREV_A"),
        ("SELECT * FROM $__source_prev( 'B' )", "SELECT * FROM __PREV_B"),
        # time filters
        ("WHERE $__timeFilter", f"WHERE (to_timestamp(start_time) >= {FROM} AND to_timestamp(start_time) <= {TO})"),
        ("WHERE $__timeFilter()", f"WHERE (to_timestamp(start_time) >= {FROM} AND to_timestamp(start_time) <= {TO})"),
        (
            "WHERE $__timeFilter(string)",
            f"WHERE (to_timestamp(start_time) >= {FROM} AND to_timestamp(start_time) <= {TO})",
        ),
        ("WHERE $__timeFilter(timestamp)", f"WHERE (start_time >= {FROM} AND start_time <= {TO})"),
        ("WHERE $__timeFilter(epoch_ms)", "WHERE (start_time >= 1714989600000 AND start_time <= 1714993200250)"),
        ("WHERE $__timeFilter(long)", "WHERE (start_time >= 1714989600000 AND start_time <= 1714993200250)"),
        ("WHERE $__timeFilter(EPOCH_S)", "WHERE (start_time >= 1714989600 AND start_time <= 1714993200)"),
        (
            "WHERE $__timeFilterColumn(capture_start_time)",
            f"WHERE (capture_start_time >= {FROM} AND capture_start_time <= {TO})",
        ),
        (
            "WHERE $__timeFilterColumn(connection_start_time)",
            f"WHERE (connection_start_time >= {FROM} AND connection_start_time <= {TO})",
        ),
        ("WHERE $__timeFilterColumn(epoch)", "WHERE (epoch >= 1714989600000 AND epoch <= 1714993200250)"),
        (
            "WHERE $__timeFilterColumn(f.`start_time`)",
            f"WHERE (to_timestamp(f.`start_time`) >= {FROM} AND to_timestamp(f.`start_time`) <= {TO})",
        ),
        ("WHERE $__timeFilterColumn(unknown_col)", f"WHERE (unknown_col >= {FROM} AND unknown_col <= {TO})"),
        (
            "WHERE $__timeFilterColumn(start_time, string)",
            f"WHERE (to_timestamp(start_time) >= {FROM} AND to_timestamp(start_time) <= {TO})",
        ),
        (
            "WHERE $__timeFilterColumn(capture_start_time, timestamp)",
            f"WHERE (capture_start_time >= {FROM} AND capture_start_time <= {TO})",
        ),
        ("WHERE $__timeFilterColumn(x, 'epoch_s')", "WHERE (x >= 1714989600 AND x <= 1714993200)"),
        ("WHERE $__unixEpochFilter(x)", "WHERE (x >= 1714989600 AND x <= 1714993200)"),
        # range bounds and intervals
        ("SELECT $__timeFrom(), $__timeTo()", f"SELECT {FROM}, {TO}"),
        ("SELECT $__timeFrom, $__timeTo", f"SELECT {FROM}, {TO}"),
        ("SELECT $__unixEpochFrom(), $__unixEpochTo()", "SELECT 1714989600, 1714993200"),
        ("SELECT '$__interval', $__interval, $__interval_ms", "SELECT '$__interval', 5m, 300000"),
        # time groups
        ("SELECT $__timeGroup(start_time, '5m')", "SELECT " + BUCKET_5M.format(c="start_time")),
        ("SELECT $__timeGroup(start_time, 5m)", "SELECT " + BUCKET_5M.format(c="start_time")),
        ("SELECT $__timeGroup(start_time, $__interval)", "SELECT " + BUCKET_5M.format(c="start_time")),
        ("SELECT $__timeGroup(start_time, $__interval_ms)", "SELECT " + BUCKET_5M.format(c="start_time")),
        ("SELECT $__timeGroup(capture_start_time, 300s)", "SELECT " + BUCKET_5M.format(c="capture_start_time")),
        (
            "SELECT $__timeGroup(epoch, '1h')",
            "SELECT timestamp_millis(CAST(floor(epoch / 3600000) AS BIGINT) * 3600000)",
        ),
        ("SELECT $__timeGroupAlias(start_time, '5m')", "SELECT " + BUCKET_5M.format(c="start_time") + " AS `time`"),
        (
            "SELECT $__timeGroup(to_timestamp(concat(a, 'Z')), '5m')",
            "SELECT " + BUCKET_5M.format(c="to_timestamp(concat(a, 'Z'))"),
        ),
        # Grafana's epoch macros
        (
            "SELECT $__unixEpochGroup(secs, '5m')",
            "SELECT timestamp_millis(CAST(floor(CAST(secs AS BIGINT) * 1000 / 300000) AS BIGINT) * 300000)",
        ),
        (
            "SELECT $__unixEpochGroupAlias(secs, 1h)",
            "SELECT timestamp_millis(CAST(floor(CAST(secs AS BIGINT) * 1000 / 3600000) AS BIGINT) * 3600000) AS `time`",
        ),
        (
            "SELECT $__timeEpoch(start_time)",
            "SELECT CAST(floor(unix_millis(to_timestamp(start_time)) / 1000) AS BIGINT) AS `time`",
        ),
        ("SELECT $__timeEpoch(epoch)", "SELECT CAST(floor(epoch / 1000) AS BIGINT) AS `time`"),
        # macros inside strings, names and comments are text
        (
            "SELECT '$__source', \"$__timeFilter\", `$__x` -- $__bogus\n/* $__dest */",
            "SELECT '$__source', \"$__timeFilter\", `$__x` -- $__bogus\n/* $__dest */",
        ),
    ],
)
def test_expansion(context: Callable[..., MacroContext], sql: str, expected: str) -> None:
    assert expand_macros(sql, context()).sql == expected


def test_time_filter_quotes_an_unusual_time_column(context: Callable[..., MacroContext]) -> None:
    sql = expand_macros("WHERE $__timeFilter", context(time_column="vnic-id")).sql
    assert sql == f"WHERE (to_timestamp(`vnic-id`) >= {FROM} AND to_timestamp(`vnic-id`) <= {TO})"


@pytest.mark.parametrize(
    ("sql", "expected_sql", "dest"),
    [
        ("SELECT 1 INTO $__dest", "SELECT 1", DestSpec("csv", "")),
        ("SELECT 1 INTO $__dest()", "SELECT 1", DestSpec("csv", "")),
        ("SELECT 1\ninto  $__dest(PARQUET)", "SELECT 1", DestSpec("parquet", "")),
        (
            "SELECT 1 INTO $__dest(json, a/b-c/d.e/day=2024-05-06/)",
            "SELECT 1",
            DestSpec("json", "a/b-c/d.e/day=2024-05-06"),
        ),
        ("SELECT 1 INTO $__dest('Csv', 'x')\n", "SELECT 1\n", DestSpec("csv", "x")),
        ("SELECT 1 INTO /* c */ $__dest(parquet) -- end", "SELECT 1 -- end", DestSpec("parquet", "")),
        # found by the long fuzz run: the newline ending the comment went with INTO, and the comment took the FROM
        ("SELECT a -- note\n INTO $__dest(csv, x) FROM t", "SELECT a -- note\n  FROM t", DestSpec("csv", "x")),
        ("SELECT --\n INTO $__dest(csv, x/y) ''", "SELECT --\n  ''", DestSpec("csv", "x/y")),
        ("SELECT a /* c */\n INTO $__dest FROM t", "SELECT a /* c */ FROM t", DestSpec("csv", "")),
    ],
)
def test_dest(context: Callable[..., MacroContext], sql: str, expected_sql: str, dest: DestSpec) -> None:
    expansion = expand_macros(sql, context())
    assert (expansion.sql, expansion.dest) == (expected_sql, dest)


def test_prev_refs_and_fills(context: Callable[..., MacroContext]) -> None:
    sql = (
        "SELECT $__timeGroup(start_time, '1m', previous) AS bucket, $__timeGroupAlias(start_time, 1h, 0), "
        "$__timeGroup(start_time, 5m, NULL) FROM $__source_prev(B) JOIN $__source_prev(A) JOIN $__source_prev(B)"
    )
    expansion = expand_macros(sql, context())
    assert expansion.prev_refs == ("B", "A")
    assert expansion.fills == (
        TimeGroupFill(60_000, "previous", None, "bucket"),
        TimeGroupFill(3_600_000, "value", 0.0, "time"),
        TimeGroupFill(300_000, "null", None, None),
    )
    assert expansion.dest is None


def test_find_prev_refs_does_not_expand_or_validate() -> None:
    sql = (
        'SELECT * FROM $__source_prev(X) JOIN $__source_prev("Y") JOIN $__source_prev(X) '
        "WHERE $__unknown -- $__source_prev(Z)"
    )
    assert find_prev_refs(sql) == ("X", "Y")
    assert find_prev_refs("SELECT '$__source_prev(A)', $__source_prev()") == ()


def _raises(context: MacroContext, sql: str) -> str:
    with pytest.raises(BadRequest) as caught:
        expand_macros(sql, context)
    return caught.value.message


KNOWN = (
    "$__dest, $__interval, $__interval_ms, $__source, $__source_prev, $__timeEpoch, $__timeFilter, "
    "$__timeFilterColumn, $__timeFrom, $__timeGroup, $__timeGroupAlias, $__timeTo, $__unixEpochFilter, "
    "$__unixEpochFrom, $__unixEpochGroup, $__unixEpochGroupAlias, $__unixEpochTo"
)


@pytest.mark.parametrize(
    ("sql", "changes", "message"),
    [
        ("SELECT $__nope", {}, f"unknown macro $__nope at line 1, column 8; known macros: {KNOWN}"),
        (
            "SELECT 1\n  FROM $__source",
            {"source_relation": None},
            '$__source at line 2, column 8: this datasource has no source; set "source" in the datasource settings '
            "to a cos://<region>/<bucket>/<prefix> URL or a local folder",
        ),
        ("SELECT $__source(x)", {}, "$__source at line 1, column 8: wrong arguments; use $__source"),
        (
            "FROM $__source_prev",
            {},
            "$__source_prev at line 1, column 6: wrong arguments; use $__source_prev(RefId), e.g. $__source_prev(A)",
        ),
        (
            "FROM $__source_prev()",
            {},
            "$__source_prev at line 1, column 6: wrong arguments; use $__source_prev(RefId), e.g. $__source_prev(A)",
        ),
        (
            "FROM $__source_prev(C)",
            {},
            "$__source_prev at line 1, column 6: there is no query 'C' in this panel (queries: A, B); name the "
            "refId of another query of the same panel",
        ),
        (
            "SELECT 1 INTO $__dest",
            {"destination_configured": False},
            '$__dest at line 1, column 15: this datasource has no destination; set "destination" in the datasource '
            "settings to a cos:// URL or a local folder",
        ),
        ("SELECT 1 $__dest", {}, "$__dest at line 1, column 10: $__dest must follow INTO, e.g. INTO $__dest(parquet)"),
        (
            "SELECT 1 INTO $__dest(avro)",
            {},
            "$__dest at line 1, column 15: format 'avro' is not supported; use parquet, csv or json",
        ),
        (
            "SELECT 1 INTO $__dest(csv, a, b)",
            {},
            "$__dest at line 1, column 15: wrong arguments; use INTO $__dest, INTO $__dest(format) or INTO "
            "$__dest(format, suffix)",
        ),
        (
            "SELECT 1 INTO $__dest(csv, ../x)",
            {},
            "$__dest at line 1, column 15: the suffix '../x' must be a relative path without '..'",
        ),
        (
            "SELECT 1 INTO $__dest(csv, /etc)",
            {},
            "$__dest at line 1, column 15: the suffix '/etc' must be a relative path without '..'",
        ),
        (
            "SELECT 1 INTO $__dest(csv, a b)",
            {},
            "$__dest at line 1, column 15: the suffix 'a b' may only hold letters, digits and - _ . / =",
        ),
        (
            "SELECT 1 INTO $__dest INTO $__dest",
            {},
            "$__dest at line 1, column 28: a query can write to $__dest only once",
        ),
        (
            "WHERE $__timeFilter",
            {"time_column": ""},
            "$__timeFilter at line 1, column 7: the query has no Time Column; set the Time Column in the query "
            "editor or use $__timeFilterColumn(column, type)",
        ),
        (
            "WHERE $__timeFilter(date)",
            {},
            "$__timeFilter at line 1, column 7: unknown column type 'date'; use timestamp, string, epoch_ms or epoch_s",
        ),
        (
            "WHERE $__timeFilter(a, b)",
            {},
            "$__timeFilter at line 1, column 7: wrong arguments; use $__timeFilter or $__timeFilter(type)",
        ),
        (
            "WHERE $__timeFilterColumn",
            {},
            "$__timeFilterColumn at line 1, column 7: wrong arguments; use $__timeFilterColumn(column) or "
            "$__timeFilterColumn(column, type)",
        ),
        (
            "WHERE $__timeFilterColumn(, string)",
            {},
            "$__timeFilterColumn at line 1, column 7: wrong arguments; use $__timeFilterColumn(column) or "
            "$__timeFilterColumn(column, type)",
        ),
        (
            "WHERE $__unixEpochFilter()",
            {},
            "$__unixEpochFilter at line 1, column 7: wrong arguments; use $__unixEpochFilter(column)",
        ),
        ("SELECT $__timeFrom(x)", {}, "$__timeFrom at line 1, column 8: wrong arguments; use $__timeFrom()"),
        ("SELECT $__interval(1)", {}, "$__interval at line 1, column 8: wrong arguments; use $__interval"),
        (
            "SELECT $__timeGroup(a)",
            {},
            "$__timeGroup at line 1, column 8: wrong arguments; use $__timeGroup(column, interval) or "
            "$__timeGroup(column, interval, fill)",
        ),
        (
            "SELECT $__timeGroup(a, soon)",
            {},
            "$__timeGroup at line 1, column 8, interval: 'soon' is not an interval; write e.g. '5m', 1h, 30s, 500ms "
            "or $__interval",
        ),
        (
            "SELECT $__timeGroup(a, 0s)",
            {},
            "$__timeGroup at line 1, column 8, interval: the interval must be longer than 0 ms",
        ),
        (
            "SELECT $__timeGroupAlias(a, 1m, later)",
            {},
            "$__timeGroupAlias at line 1, column 8: fill must be NULL, previous or a number, got 'later'",
        ),
        ("SELECT $__timeGroup(a, 1m", {}, "the parenthesis opened at line 1, column 20 is never closed"),
        ("SELECT '$__timeGroup", {}, "unterminated string starting at line 1, column 8: add the closing '"),
    ],
)
def test_errors(context: Callable[..., MacroContext], sql: str, changes: dict[str, Any], message: str) -> None:
    assert _raises(context(**changes), sql) == message


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # the first and last millisecond a range may hold: exact, four-digit years (Spark needs them)
        (-62_135_596_800_000, 253_402_300_799_999,
         "to_timestamp('0001-01-01T00:00:00.000Z') to_timestamp('9999-12-31T23:59:59.999Z')"),
        (-1, 0, "to_timestamp('1969-12-31T23:59:59.999Z') to_timestamp('1970-01-01T00:00:00.000Z')"),
        (-61_000_000_000_000, 100, "to_timestamp('0036-12-26T11:33:20.000Z') to_timestamp('1970-01-01T00:00:00.100Z')"),
    ],
)
def test_time_bounds_at_the_ends_of_time(
    context: Callable[..., MacroContext], start: int, end: int, expected: str
) -> None:
    """Issue 25: 9999-12-31T23:59:59.999Z went through a float and became the year 10000 (a 500)."""
    assert expand_macros("$__timeFrom() $__timeTo()", context(time_range=TimeRange(start, end))).sql == expected
