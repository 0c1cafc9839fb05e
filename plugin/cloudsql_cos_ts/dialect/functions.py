"""Fixes where sqlglot's Spark -> target translation of a function does not keep Spark's meaning.

Checked against DuckDB 2.0 results (tests/dialect/test_functions.py):

* ``timestamp_millis/_seconds/_micros(n)`` are not parsed as sqlglot's ``UnixToTime``, so they would
  reach DuckDB unchanged (no such functions there) — they become ``UnixToTime`` for every dialect;
* ``unix_timestamp(x)`` / ``to_unix_timestamp(x)`` without a format become ``strptime(x, …)`` in
  DuckDB, which fails on timestamps (the common ``unix_timestamp(to_timestamp(col))``); DuckDB gets
  ``floor(epoch(CAST(x AS TIMESTAMP)))`` instead, which takes timestamps and ISO text;
* ``CAST(a / b AS BIGINT)`` truncates in Spark but rounds in DuckDB (the original plugin's
  ``cast(ts/1000 as long)`` filter relies on truncation) — DuckDB gets ``CAST(trunc(a / b) AS …)``;
* ``to_timestamp('…+02:00')`` and ``CAST('…+02:00' AS TIMESTAMP)`` convert the offset to the session
  zone (UTC) in Spark, while DuckDB's cast to TIMESTAMP drops the offset — DuckDB gets
  ``CAST(CAST(x AS TIMESTAMPTZ) AS TIMESTAMP)``, exact for offset text, plain text and timestamps
  because the plugin process runs in UTC (:func:`cloudsql_cos_ts.timerange.force_utc`);
* calendar functions: ``dayofweek`` counts 1 = Sunday … 7 in Spark but 0 … 6 in DuckDB; ``weekday``
  counts 0 = Monday … 6 = Sunday in Spark but from Sunday in DuckDB; ``trunc(d, fmt)``,
  ``add_months`` and ``date_add``/``date_sub`` answer a DATE in Spark but a TIMESTAMP in DuckDB (and
  DuckDB knows none of Spark's unit spellings ``MM``, ``MON``, ``YYYY``, ``YY``, ``DD``; Spark's
  ``trunc`` with a unit it does not know is NULL) — DuckDB gets the Spark numbering, DATE results and
  its own unit names;
* a conversion that fails is NULL in Spark with ANSI off (IBM SQL Query): ``to_timestamp('')``,
  ``CAST('n/a' AS INT)``, ``to_timestamp(s, fmt)`` on text of another shape. DuckDB raises a
  Conversion Error instead, which failed every query over IBM's own sample object (it holds
  ``"start_time": ""``) — so every cast becomes ``TRY_CAST`` and every parse ``TRY_STRPTIME``;
* Spark's ``raise_error(message)`` (the time-series lowering's way to refuse data it cannot answer)
  is DuckDB's ``error(message)``; sqlglot passes the name through unchanged.
"""

from __future__ import annotations

from typing import TypeVar

import sqlglot
from sqlglot import exp

_E = TypeVar("_E", bound=exp.Expr)

_DEFAULT_UNIX_FORMAT = sqlglot.parse_one("unix_timestamp(x)", read="spark").args.get("format")
# Functions whose DuckDB form casts these arguments to DATE while being written (no node to make safe).
_DATE_ARGUMENTS: dict[type[exp.Expr], tuple[str, ...]] = {
    exp.TsOrDsAdd: ("this",),
    exp.MonthsBetween: ("this", "expression"),
}
# Spark's unit spellings -> DuckDB's; ``trunc`` (date) knows only the first four groups.
_TRUNC_UNITS = {"YEAR": "YEAR", "YYYY": "YEAR", "YY": "YEAR", "QUARTER": "QUARTER", "MONTH": "MONTH",
                "MM": "MONTH", "MON": "MONTH", "WEEK": "WEEK"}
_DATE_TRUNC_UNITS = {**_TRUNC_UNITS, "DD": "DAY"}
# What the fixes below write into a tree: a fix looking for one of these walks the tree even if it held none.
_MADE_BY_FIXES: tuple[type[exp.Expr], ...] = (
    exp.Cast, exp.Anonymous, exp.StrToTime, exp.TimeToUnix, exp.Floor, exp.Paren, exp.Add, exp.Sub
)
_INTEGER_TYPES = {
    exp.DataType.Type.BIGINT,
    exp.DataType.Type.INT,
    exp.DataType.Type.SMALLINT,
    exp.DataType.Type.TINYINT,
}


def _epoch_constructor(node: exp.Anonymous) -> exp.Expr | None:
    name = node.name.upper()
    if name not in ("TIMESTAMP_MILLIS", "TIMESTAMP_SECONDS", "TIMESTAMP_MICROS") or len(node.expressions) != 1:
        return None
    (value,) = node.expressions
    if name == "TIMESTAMP_MILLIS":
        return exp.UnixToTime(this=value.copy(), scale=exp.UnixToTime.MILLIS)
    if name == "TIMESTAMP_SECONDS":
        micros = exp.Mul(this=exp.cast(value.copy(), "DOUBLE"), expression=exp.Literal.number(1_000_000))
        value = exp.cast(micros, "BIGINT")
    return exp.UnixToTime(this=value.copy(), scale=exp.UnixToTime.MICROS)


def normalize_functions(tree: exp.Expr) -> exp.Expr:
    """Dialect-neutral fixes, for every target."""
    for node in list(tree.find_all(exp.Anonymous)):
        replacement = _epoch_constructor(node)
        if replacement is not None:
            node.replace(replacement)
    return tree


def fix_for_duckdb(tree: exp.Expr) -> exp.Expr:
    """Fixes for DuckDB as the target (see the module docstring)."""
    kinds = _Kinds(tree)
    for text in kinds.found(exp.TimeStrToTime):  # date_format(s, ...): a cast sqlglot writes itself
        text.replace(exp.cast(text.this.copy(), "TIMESTAMP"))
    for unix in kinds.found(exp.StrToUnix):
        if unix.args.get("format") in (None, _DEFAULT_UNIX_FORMAT):
            seconds = exp.TimeToUnix(this=exp.cast(unix.this.copy(), "TIMESTAMP"))
            unix.replace(exp.cast(exp.Floor(this=seconds), "BIGINT"))
        else:  # sqlglot writes EPOCH(STRPTIME(...)) and ignores "safe" on StrToUnix
            parsed = exp.StrToTime(this=unix.this.copy(), format=unix.args["format"].copy())
            unix.replace(exp.TimeToUnix(this=parsed))
    for cast in kinds.found(exp.Cast):
        if isinstance(cast.this, exp.Div) and cast.to.this in _INTEGER_TYPES:
            cast.this.replace(exp.Anonymous(this="TRUNC", expressions=[cast.this.copy()]))
        elif cast.to.this is exp.DataType.Type.TIMESTAMP and not _is_zoned_cast(cast.this):
            cast.set("this", exp.cast(cast.this.copy(), "TIMESTAMPTZ"))
    for failure in kinds.found(exp.Anonymous):  # Spark's raise_error(message) is DuckDB's error(message)
        if failure.name.upper() == "RAISE_ERROR":
            failure.set("this", "error")
    _calendar_as_in_spark(tree, kinds)
    return _conversions_never_fail(tree, kinds)


class _Kinds:
    """The node types a tree held before the fixes ran, so a fix looks for its nodes only where there can be some.

    Why: every fix walked the whole tree for its own node type, fifteen walks of every query, most of them for
    functions the query does not call, paid again at each refresh of a relative range (docs/benchmarks.md). A
    type the tree did not hold is still looked for when the fixes create it (:data:`_MADE_BY_FIXES`), so each
    fix sees what the ones before it wrote.
    """

    def __init__(self, tree: exp.Expr) -> None:
        self._tree = tree
        self._held = {type(node) for node in tree.walk()}

    def found(self, *kinds: type[_E]) -> list[_E]:
        """The nodes of ``kinds`` in the tree now (a list: the caller replaces some)."""
        if not any(issubclass(held, kinds) for held in (*self._held, *_MADE_BY_FIXES)):
            return []
        return list(self._tree.find_all(*kinds))


def _as_date(node: exp.Expr) -> exp.Expr:
    return exp.cast(node, "DATE")


def _calendar_as_in_spark(tree: exp.Expr, kinds: _Kinds) -> None:
    """Spark's day numbering, DATE results and unit names for DuckDB (see the module docstring)."""
    for day in kinds.found(exp.DayOfWeek):
        day.replace(exp.paren(exp.Add(this=day.copy(), expression=exp.Literal.number(1)), copy=False))
    for call in kinds.found(exp.Anonymous):
        if call.name.upper() == "WEEKDAY" and len(call.expressions) == 1:
            iso_day = exp.Anonymous(this="ISODOW", expressions=[_as_date(call.expressions[0].copy())])
            call.replace(exp.paren(exp.Sub(this=iso_day, expression=exp.Literal.number(1)), copy=False))
    for trunc in kinds.found(exp.DateTrunc):  # Spark's trunc(date, fmt)
        unit = trunc.args.get("unit")
        if isinstance(unit, exp.Literal) and unit.is_string:
            known = _TRUNC_UNITS.get(unit.name.upper())
            truncated = exp.Anonymous(
                this="DATE_TRUNC", expressions=[exp.Literal.string(known or "DAY"), _as_date(trunc.this.copy())]
            )
            trunc.replace(_as_date(truncated) if known else exp.cast(exp.null(), "DATE"))
    for timestamp_trunc in kinds.found(exp.TimestampTrunc):  # Spark's date_trunc(fmt, ts)
        unit = timestamp_trunc.args.get("unit")
        if unit is not None and unit.name.upper() in _DATE_TRUNC_UNITS:
            timestamp_trunc.set("unit", exp.var(_DATE_TRUNC_UNITS[unit.name.upper()]))
    for months in kinds.found(exp.AddMonths):
        if not (isinstance(months.this, exp.Cast) and months.this.to.this is exp.DataType.Type.DATE):
            months.set("this", _as_date(months.this.copy()))  # sqlglot then writes CAST(... AS DATE)
    for days in kinds.found(exp.TsOrDsAdd):  # date_add / date_sub
        days.replace(_as_date(days.copy()))


def _conversions_never_fail(tree: exp.Expr, kinds: _Kinds) -> exp.Expr:
    """Every cast a ``TRY_CAST`` and every parse a ``TRY_STRPTIME``: NULL where Spark (ANSI off) gives NULL."""
    for cast in kinds.found(exp.Cast):
        if not isinstance(cast, exp.TryCast):
            cast.replace(exp.TryCast(this=cast.this, to=cast.to, format=cast.args.get("format")))
    for parse in kinds.found(exp.StrToTime, exp.TsOrDsToDate):
        parse.set("safe", True)
    for node in kinds.found(*_DATE_ARGUMENTS):  # date_add(s, n), months_between(s, t): cast when written
        for name in _DATE_ARGUMENTS[type(node)]:
            value = node.args.get(name)
            if value is not None and not isinstance(value, exp.Cast):
                node.set(name, exp.TryCast(this=value, to=exp.DataType.build("DATE")))
    return tree


def _is_zoned_cast(node: exp.Expr) -> bool:
    return isinstance(node, exp.Cast) and node.to.this is exp.DataType.Type.TIMESTAMPTZ
