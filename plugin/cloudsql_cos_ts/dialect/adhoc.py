"""Dashboard ad-hoc filters applied to the flow-log relations a statement reads.

Grafana sends a dashboard's ad-hoc filters (``key operator value``) with every query of the
dashboard. Each scan of a filtered relation (``FLOW_FLAT``, ``FLOW``) becomes a subquery that keeps
only matching rows, under the name the statement used, so the rest of the statement is untouched.
The conditions are built as syntax-tree nodes: a value is always one string literal, which the
target dialect writes with its own escaping, and a key is always one quoted column name; neither
can become SQL text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlglot import exp


def _regex(column: exp.Expr, value: exp.Expr) -> exp.Expr:
    return exp.RegexpLike(this=column, expression=value)


OPERATORS: Mapping[str, Callable[[exp.Expr, exp.Expr], exp.Expr]] = {
    "=": lambda column, value: exp.EQ(this=column, expression=value),
    "!=": lambda column, value: exp.NEQ(this=column, expression=value),
    "<": lambda column, value: exp.LT(this=column, expression=value),
    ">": lambda column, value: exp.GT(this=column, expression=value),
    "=~": _regex,
    "!~": lambda column, value: exp.Not(this=_regex(column, value)),
}


@dataclass(frozen=True)
class AdhocFilter:
    """One ad-hoc filter; the caller has checked the key against the relations' columns."""

    key: str
    operator: str  # a key of OPERATORS
    value: str


def _condition(flt: AdhocFilter) -> exp.Expr:
    column = exp.column(exp.to_identifier(flt.key, quoted=True))
    return OPERATORS[flt.operator](column, exp.Literal.string(flt.value))


def apply_adhoc_filters(
    tree: exp.Expr, filters: tuple[AdhocFilter, ...], columns: Mapping[str, frozenset[str]]
) -> exp.Expr:
    """Wrap every scan of a relation in ``columns`` (UPPER-cased name -> its column names) with the
    filters whose key is one of its columns. CTEs of the same name and DESCRIBE are left alone."""
    if not filters:
        return tree
    cte_names = {cte.alias.upper() for cte in tree.find_all(exp.CTE)}
    for table in list(tree.find_all(exp.Table)):
        name = table.name.upper()
        if not isinstance(table.this, exp.Identifier) or name in cte_names or table.find_ancestor(exp.Describe):
            continue
        conditions = [_condition(flt) for flt in filters if flt.key in columns.get(name, frozenset())]
        if not conditions:
            continue
        scan = exp.Table(this=table.this.copy())
        filtered = exp.select("*").from_(scan).where(exp.and_(*conditions))
        table.replace(filtered.subquery(exp.to_identifier(table.alias_or_name)))
    return tree
