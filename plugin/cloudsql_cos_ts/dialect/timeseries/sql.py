"""SQL building blocks of the time-series lowering: a series' hidden columns and the FROM wrapping.

IBM kept a series as one value per key; the lowering keeps it relational — one row per observation
with three hidden columns (tick, value, key). A function of a series adds columns to the rows of the
SELECT's single FROM relation by reading it through ``(SELECT *, <new columns> FROM <it> [WHERE …])``
under the same alias, so every other column of the row (the user's key column, labels) stays
selectable and each function composes with the next. Windows order a series by tick, and equal ticks
by value (NULL last), so every engine sees the same order (IBM calls the order of equal ticks
"uncertain").
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import sqlglot
from sqlglot import exp

from cloudsql_cos_ts.errors import BadRequest


def spark(text: str) -> exp.Expr:
    return sqlglot.parse_one(text, read="spark")


def sql(node: exp.Expr) -> str:
    return node.sql(dialect="spark")


def function_name(node: exp.Expr | None) -> str:
    return node.name.upper() if isinstance(node, exp.Anonymous) else ""


def calls_in_select(select: exp.Select, names: Collection[str]) -> list[exp.Anonymous]:
    """The calls of ``names`` among ``select``'s items (not those of a subquery inside an item)."""
    return [
        node
        for item in select.expressions
        for node in item.find_all(exp.Anonymous)
        if function_name(node) in names and node.find_ancestor(exp.Select) is select
    ]


def items_without(select: exp.Select, calls: list[exp.Anonymous]) -> list[exp.Expr]:
    """``select``'s items that hold none of ``calls``: what the lowered SELECT must group by."""
    return [item for item in select.expressions if not any(node in calls for node in item.find_all(exp.Anonymous))]


def unaliased(item: exp.Expr) -> exp.Expr:
    """A select item without its alias (``x AS a`` and ``f(x) AS (a, b)`` alike)."""
    return item.this if isinstance(item, exp.Alias | exp.Aliases) else item


def arguments(node: exp.Expr, signature: str, *counts: int) -> list[exp.Expr]:
    """The arguments of a TS call, or a 400 showing ``signature`` when their number is not one of ``counts``."""
    found = list(node.expressions) if isinstance(node, exp.Anonymous) else []
    if len(found) not in counts:
        raise BadRequest(f"write {signature}")
    return found


def whole_number(node: exp.Expr, what: str, *, minimum: int = 1) -> int:
    """A literal whole number (a leading minus allowed when ``minimum`` < 0), or a 400 naming ``what``."""
    negative = isinstance(node, exp.Neg)
    literal = node.this if negative else node
    if not (isinstance(literal, exp.Literal) and not literal.is_string and literal.this.isdigit()):
        raise BadRequest(f"{what} must be a whole number")
    value = -int(literal.this) if negative else int(literal.this)
    if value < minimum:
        raise BadRequest(f"{what} must be at least {minimum}")
    return value


def check_groupable(select: exp.Select, others: list[exp.Expr], what: str) -> None:
    """A 400 unless a SELECT can be grouped by its ``others`` items for ``what`` (one row per series or segment)."""
    if select.args.get("group") or select.args.get("having"):
        raise BadRequest(f"{what} cannot be combined with GROUP BY or HAVING; aggregate in an outer query")
    if any(other.find(exp.AggFunc) for other in others):
        raise BadRequest(f"aggregate functions cannot stand next to {what}; aggregate in an outer query")


def used_columns(select: exp.Select, others: list[exp.Expr]) -> list[exp.Column]:
    """The columns the ``others`` select items and the WHERE read: they must survive a grouping of the FROM."""
    where = select.args.get("where")
    found: dict[str, exp.Column] = {}
    for node in [*others, *([where] if where else [])]:
        for column in node.find_all(exp.Column):
            found.setdefault(column.name.lower(), column)
    return list(found.values())


@dataclass(frozen=True)
class Series:
    """The SQL of one series' tick, value and key columns in the rows of a SELECT."""

    tick: str
    value: str
    key: str

    def window(self, frame: str = "", *, by_tick: bool = False) -> str:
        """``OVER (...)`` in series order; ``by_tick`` partitions by key and tick (one group of equal ticks)."""
        partition = f"{self.key}, {self.tick}" if by_tick else self.key
        order = (
            f"{self.value} ASC NULLS LAST" if by_tick else f"{self.tick} ASC NULLS LAST, {self.value} ASC NULLS LAST"
        )
        return f"OVER (PARTITION BY {partition} ORDER BY {order} {frame})"

    def with_value(self, value: str) -> Series:
        return Series(self.tick, value, self.key)


def hidden(part: str, series: str, table: str = "") -> exp.Column:
    """A column added by ``TIME_SERIES_FORMAT ... IN series`` (``__ts_tick_ts`` …)."""
    return exp.column(exp.to_identifier(f"__ts_{part}_{series.lower()}"), table=table or None)


def formatted(column: exp.Column) -> Series:
    """The series a column reference names: the hidden columns ``TIME_SERIES_FORMAT`` added for it."""
    parts = (sql(hidden(part, column.name, column.table)) for part in ("tick", "value", "key"))
    return Series(*parts)


class Scope:
    """One SELECT being lowered: wraps its FROM and gives the columns it adds fresh names."""

    def __init__(self, select: exp.Select, names: Names) -> None:
        self.select = select
        self.names = names

    def wrap(self, columns: dict[str, str], where: str = "") -> None:
        """Read the FROM through ``(SELECT *, <sql> AS <name>, … FROM it [WHERE where]) AS <same name>``."""
        if self.select.args.get("joins") or not self.select.args.get("from_"):
            raise BadRequest("time-series functions need exactly one table in FROM (no JOIN); use a WITH query first")
        source = self.select.args["from_"].this
        alias = source.alias_or_name or "__ts_source"
        # The source moves into the new subquery, uncopied: each wrap nests the ones before, so a copy per wrap
        # (and one more of the whole inner query) made a lowering's cost grow with the square of its wraps.
        added = [spark(text).as_(name, copy=False) for name, text in columns.items()]
        inner = exp.select(exp.Star(), *added, copy=False).from_(source, copy=False)
        if where:
            inner = inner.where(spark(where), copy=False)
        self.select.args["from_"].set("this", inner.subquery(alias, copy=False))

    def add(self, part: str, text: str) -> str:
        """A fresh column holding ``text``, added in its own wrap; its name."""
        name = self.names.fresh(part)
        self.wrap({name: text})
        return name


class Names:
    """Fresh hidden-column names for one translation (counted, so the SQL is the same every time), and the
    datasource's row limit, which bounds the rows a lowering may generate."""

    def __init__(self, row_limit: int) -> None:
        self.row_limit = row_limit
        self.count = 0
        self.series: set[str] = set()  # the series built anywhere in the query, lower case

    def fresh(self, part: str) -> str:
        self.count += 1
        return f"__ts_{part}_{self.count}"
