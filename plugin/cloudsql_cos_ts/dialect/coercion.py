"""Spark's implicit casts written out, so engines that do not make them run IBM's SQL unchanged.

IBM SQL Query ran Spark 3 with ANSI off, whose analyser casts operands silently: a string compared
with a timestamp, date, number or boolean becomes that type; a string given to ``hour``,
``minute``, ``second``, ``date_trunc`` or ``extract`` becomes a timestamp, to ``quarter``,
``last_day``, ``trunc``, ``add_months`` or ``next_day`` a date; a string in arithmetic, in
``sum``/``avg``/``stddev``/``variance``, in ``abs``/``round``/``ceil``/``floor``/``sqrt``/``ln``/
``exp``/``pow`` or a negation becomes a double (a timestamp next to an interval); in an ``IN`` list or a
``coalesce`` mixing strings with times or numbers, the others become strings (Spark's string
promotion: ``connection_start_time IN ('2020-07-24 02:00:00')`` compares text). IBM's own examples rely on it —
``hour(start_time)``, ``start_time > TIMESTAMP "2020-07-24 02:00:00"`` — because ``FLOW_FLAT``
keeps the record times as text. DuckDB refuses those operands (a binder error), so every such cast
is written into the tree here; the dialect's later steps make each cast a ``TRY_CAST``, so an
empty or malformed string is NULL as it was in Spark. Writing them for Spark too keeps both engines
on the same rule whatever the server's defaults.

Only operands whose type is known are touched: types come from sqlglot's type annotation over the
schemas the caller knows (``FLOW``, ``FLOW_FLAT``, ``$__source`` of flow logs), annotated on a
copy so that the SQL written keeps the user's spelling (no added qualifiers or aliases). An
operand of unknown type — a column of a CSV source, a query sqlglot cannot type — is left as
written, and the engine's own rules apply.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.resolver import Resolver
from sqlglot.optimizer.scope import traverse_scope
from sqlglot.schema import MappingSchema

Schemas = Mapping[str, Sequence[tuple[str, str]]]
"""Relation name -> (column name, type as DuckDB spells it)."""

_TIMESTAMP = exp.DataType.build("TIMESTAMP")
_DATE = exp.DataType.build("DATE")
_DOUBLE = exp.DataType.build("DOUBLE")
_BOOLEAN = exp.DataType.build("BOOLEAN")
_TEXT = exp.DataType.build("VARCHAR")

# Function -> (its arguments Spark casts when they are strings, the type they become).
_STRING_ARGUMENTS: dict[type[exp.Expr], tuple[tuple[str, ...], exp.DataType]] = {
    **dict.fromkeys((exp.Hour, exp.Minute, exp.Second, exp.TimestampTrunc), (("this",), _TIMESTAMP)),
    exp.Extract: (("expression",), _TIMESTAMP),
    **dict.fromkeys((exp.Quarter, exp.LastDay, exp.DateTrunc, exp.AddMonths, exp.NextDay), (("this",), _DATE)),
    **dict.fromkeys(
        (exp.Sum, exp.Avg, exp.Stddev, exp.Variance, exp.Neg, exp.Abs, exp.Round, exp.Ceil, exp.Floor, exp.Sqrt,
         exp.Ln, exp.Exp),
        (("this",), _DOUBLE),
    ),
    exp.Pow: (("this", "expression"), _DOUBLE),
}
_ARITHMETIC = (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod, exp.IntDiv)
_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.NullSafeEQ)
_DATE_TYPES = {exp.DataType.Type.DATE, exp.DataType.Type.DATE32}
_TIMESTAMP_TYPES = exp.DataType.TEMPORAL_TYPES - _DATE_TYPES - {exp.DataType.Type.TIME, exp.DataType.Type.TIMETZ}

Cast = tuple[str, exp.DataType]  # (argument name, target type)


def _is_text(node: exp.Expr) -> bool:
    return node.type is not None and node.type.is_type(*exp.DataType.TEXT_TYPES)


def _comparison_target(other: exp.Expr) -> exp.DataType | None:
    """The type a string compared with ``other`` becomes in Spark: ``other``'s, if it is atomic."""
    kind = other.type
    if kind is None or _is_text(other):
        return None
    if kind.is_type(*_TIMESTAMP_TYPES):
        return _TIMESTAMP
    if kind.is_type(*_DATE_TYPES):
        return _DATE
    if kind.is_type(*exp.DataType.NUMERIC_TYPES):
        return kind
    if kind.is_type(exp.DataType.Type.BOOLEAN):
        return _BOOLEAN
    return None


def _pair(node: exp.Expr, left: str, right: str) -> Iterator[Cast]:
    """Casts for a comparison of ``node.args[left]`` with ``node.args[right]``."""
    for text, other in ((left, right), (right, left)):
        if _is_text(node.args[text]) and (target := _comparison_target(node.args[other])) is not None:
            yield text, target


def _arithmetic(node: exp.Expr) -> Iterator[Cast]:
    for text, other in (("this", "expression"), ("expression", "this")):
        if _is_text(node.args[text]):
            yield text, _TIMESTAMP if isinstance(node.args[other], exp.Interval) else _DOUBLE


def _casts(node: exp.Expr) -> Iterator[Cast]:
    """The casts Spark's analyser would add to the operands of ``node`` (annotated with types)."""
    if isinstance(node, _COMPARISONS):
        yield from _pair(node, "this", "expression")
    elif isinstance(node, exp.Between):  # Spark compares with each bound; the value is cast once
        yield from _pair(node, "this", "low")
        yield from _pair(node, "this", "high")
    elif isinstance(node, _ARITHMETIC):
        yield from _arithmetic(node)
    elif type(node) in _STRING_ARGUMENTS:
        names, target = _STRING_ARGUMENTS[type(node)]
        for name in names:
            argument = node.args.get(name)
            if isinstance(argument, exp.Expr) and _is_text(argument):
                yield name, target


def _promoted_to_text(node: exp.Expr) -> Iterator[exp.Expr]:
    """The operands of an ``IN`` list or ``coalesce`` that Spark casts to text because another is text."""
    if not isinstance(node, exp.In | exp.Coalesce):
        return
    operands = [node.this, *node.expressions]
    if any(_is_text(operand) for operand in operands):
        yield from (operand for operand in operands if _comparison_target(operand) is not None)


def _qualify(tree: exp.Expr, schema: MappingSchema) -> None:
    """Name the relation of every unqualified column that one source of its scope has (for typing)."""
    for scope in traverse_scope(tree):
        resolver = Resolver(scope, schema)
        for column in scope.unqualified_columns:
            table = resolver.get_table(column)
            if table is not None:
                column.set("table", exp.to_identifier(table.name))


def _typed_copy(tree: exp.Expr, schemas: Schemas) -> tuple[exp.Expr, dict[int, exp.Expr]] | None:
    """An annotated copy of ``tree`` and, per copied node id, the node of ``tree`` it copies."""
    typed = tree.copy()
    originals = {id(copied): node for copied, node in zip(typed.walk(), tree.walk(), strict=True)}
    schema = MappingSchema(
        {name: dict(columns) for name, columns in schemas.items()}, dialect="duckdb", normalize=True
    )
    try:
        _qualify(typed, schema)
        annotate_types(typed, schema=schema, dialect="spark")
    except SqlglotError:  # a tree sqlglot cannot scope or type keeps its operands as written
        return None
    return typed, originals


def coerce_implicitly(tree: exp.Expr, schemas: Schemas) -> exp.Expr:
    """``tree`` with the casts Spark would add around operands of known types written out."""
    found = _typed_copy(tree, schemas) if schemas else None
    if found is None:
        return tree
    typed, originals = found
    for node in typed.walk():
        original = originals.get(id(node))
        if original is None:
            continue
        for name, target in dict(reversed(list(_casts(node)))).items():  # the first cast per operand wins
            original.set(name, exp.Cast(this=original.args[name], to=target.copy()))
        for operand in _promoted_to_text(node):
            promoted = originals[id(operand)]
            promoted.replace(exp.Cast(this=promoted.copy(), to=_TEXT.copy()))
    return tree
