"""IBM's per-observation expressions (``TS_EXP_*``) and deprecated anchors (``TS_ANCHOR_*``) as SQL.

``TS_MAP``, ``TS_FILTER``, ``TS_COUNT_ANCHOR`` and ``TS_SEGMENT_BY_ANCHOR`` evaluate them on each
observation: ``TS_EXP_ID()`` is the observation's value, anything that is not a TS call (a literal,
an arithmetic on literals) is used as written. An anchor is the expression with an implicit
``TS_EXP_ID()`` as its first argument (``TS_ANCHOR_GT(5)`` = ``TS_EXP_GT(TS_EXP_ID(), 5)``).
Choices where IBM says nothing: ``TS_EXP_ID_INDEX`` and ``TS_ANCHOR_INDEX`` count array elements
from 0 (Java); ``TS_EXP_LOG`` is the natural logarithm; ``TS_EXP_MOD`` takes the dividend's sign
(Java's ``%``, as both engines); ``TS_EXP_MATCH(text, pattern)`` — IBM says only "a string match" — is
a regular expression found anywhere in the text (Spark's ``RLIKE``; anchor with ``^``/``$`` for a whole
match), in the syntax Java's and RE2's expressions share.
"""

from __future__ import annotations

from sqlglot import exp

from cloudsql_cos_ts.dialect.timeseries.refused import CANNOT_REPRODUCE, refusal
from cloudsql_cos_ts.dialect.timeseries.sql import function_name, sql
from cloudsql_cos_ts.errors import BadRequest

_TEMPLATES = {
    "TS_EXP_NOT": "(NOT {0})",
    "TS_EXP_AND": "({0} AND {1})",
    "TS_EXP_OR": "({0} OR {1})",
    "TS_EXP_LT": "({0} < {1})",
    "TS_EXP_LTE": "({0} <= {1})",
    "TS_EXP_GT": "({0} > {1})",
    "TS_EXP_GTE": "({0} >= {1})",
    "TS_EXP_EQUALS": "({0} = {1})",
    "TS_EXP_DIVISIBLE_BY": "({0} % {1} = 0)",
    "TS_EXP_CONTAINS": "(instr({0}, {1}) > 0)",
    "TS_EXP_CONTAINED_IN": "(instr({1}, {0}) > 0)",
    "TS_EXP_STARTS_WITH": "startswith({0}, {1})",
    "TS_EXP_ENDS_WITH": "endswith({0}, {1})",
    "TS_EXP_MATCH": "({0} RLIKE {1})",
    "TS_EXP_IF_THEN_ELSE": "(CASE WHEN {0} THEN {1} ELSE {2} END)",
    "TS_EXP_IF_THEN": "(CASE WHEN {0} THEN {1} END)",
    "TS_EXP_ADD": "({0} + {1})",
    "TS_EXP_SUBTRACT": "({0} - {1})",
    "TS_EXP_MULTIPLY": "({0} * {1})",
    "TS_EXP_DIVIDE": "({0} / {1})",
    "TS_EXP_MOD": "({0} % {1})",
    "TS_EXP_POW": "power({0}, {1})",
    "TS_EXP_ATAN2": "atan2({0}, {1})",
    "TS_EXP_LOG": "ln({0})",
    "TS_EXP_LENGTH": "length({0})",
    "TS_EXP_CONCAT": "concat({0}, {1})",
    **{
        f"TS_EXP_{name}": f"{name.lower()}({{0}})"
        for name in ("ABS", "EXP", "LOG10", "SQRT", "SIN", "COS", "TAN", "ASIN", "ACOS", "ATAN", "SINH", "COSH", "TANH")
    },
}
_ANCHORS = {
    "TS_ANCHOR_EQ": "TS_EXP_EQUALS",
    "TS_ANCHOR_CONTAINS": "TS_EXP_CONTAINS",
    "TS_ANCHOR_CONTAINED_IN": "TS_EXP_CONTAINED_IN",
    "TS_ANCHOR_STARTS_WITH": "TS_EXP_STARTS_WITH",
    "TS_ANCHOR_ENDS_WITH": "TS_EXP_ENDS_WITH",
    "TS_ANCHOR_GT": "TS_EXP_GT",
    "TS_ANCHOR_GTE": "TS_EXP_GTE",
    "TS_ANCHOR_LT": "TS_EXP_LT",
    "TS_ANCHOR_LTE": "TS_EXP_LTE",
    "TS_ANCHOR_DIVISIBLE_BY": "TS_EXP_DIVISIBLE_BY",
}
_ANCHOR_COMBINATIONS = {"TS_ANCHOR_AND": "TS_EXP_AND", "TS_ANCHOR_OR": "TS_EXP_OR", "TS_ANCHOR_NOT": "TS_EXP_NOT"}


def _element(value: str, index: exp.Expr) -> str:
    return f"{value}[{sql(index)}]"  # Spark's [] on an array counts from 0


def _fill(name: str, parts: list[str]) -> str:
    template = _TEMPLATES[name]
    arity = sum(f"{{{index}}}" in template for index in range(3))
    if len(parts) != arity:
        raise BadRequest(f"{name} takes {arity} argument(s)")
    return template.format(*parts)


def expression_sql(node: exp.Expr, value: str) -> str:
    """The SQL of a TS expression or anchor evaluated on an observation whose value is ``value``."""
    name = function_name(node)
    number = node.this if isinstance(node, exp.Neg) else node
    if isinstance(number, exp.Literal) and not number.is_string:
        return f"CAST({sql(node)} AS DOUBLE)"  # IBM's expressions compute in doubles; SQL would use DECIMAL
    if not name.startswith(("TS_EXP_", "TS_ANCHOR_")):
        if any(function_name(inner).startswith("TS_") for inner in node.find_all(exp.Anonymous)):
            raise BadRequest(f"{sql(node)}: write TS expressions with TS_EXP_* functions, e.g. TS_EXP_ADD(a, b)")
        return sql(node)
    parts = list(node.expressions)
    if name == "TS_EXP_ID":
        return value
    if name == "TS_EXP_ID_TO_STRING":
        return f"CAST({value} AS STRING)"
    if name == "TS_EXP_ID_INDEX" and len(parts) == 1:
        return _element(value, parts[0])
    if name == "TS_ANCHOR_INDEX" and len(parts) == 2:
        return expression_sql(parts[0], _element(value, parts[1]))
    if name == "TS_EXP_MATCH_CASE":
        return _match_case(parts, value)
    if name in _ANCHORS:
        return _fill(_ANCHORS[name], [value, *(expression_sql(part, value) for part in parts)])
    if name in _ANCHOR_COMBINATIONS:
        return _fill(_ANCHOR_COMBINATIONS[name], [expression_sql(part, value) for part in parts])
    if name in _TEMPLATES:
        return _fill(name, [expression_sql(part, value) for part in parts])
    if name in CANNOT_REPRODUCE:
        raise BadRequest(refusal(name))
    raise BadRequest(f"{name} is not a supported TS expression; see docs/time-series-functions.md")


def _match_case(parts: list[exp.Expr], value: str) -> str:
    branches = parts[0].expressions if parts and isinstance(parts[0], exp.Array) else []
    if len(parts) != 2 or not all(function_name(branch) == "TS_EXP_IF_THEN" for branch in branches) or not branches:
        raise BadRequest("write TS_EXP_MATCH_CASE(ARRAY(TS_EXP_IF_THEN(condition, x), ...), otherwise)")
    whens = " ".join(
        f"WHEN {expression_sql(branch.expressions[0], value)} THEN {expression_sql(branch.expressions[1], value)}"
        for branch in branches
    )
    return f"(CASE {whens} ELSE {expression_sql(parts[1], value)} END)"
