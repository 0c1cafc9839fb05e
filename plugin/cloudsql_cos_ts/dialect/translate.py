"""``translate``: IBM SQL Query text (after macro expansion) -> one read-only statement for an engine.

Steps: IBM-only syntax rewritten on tokens (``ibm_syntax.py``) -> parsed as Spark SQL by sqlglot
(a syntax error is a 400 with line and column) -> statement kind checked -> IBM's misspelt column
names pointed at the real fields (``ibm_names.py``) -> Spark's implicit casts written out
(``coercion.py``) -> dashboard ad-hoc filters on the flow-log relations (``adhoc.py``) -> time-series functions
lowered (``timeseries.py``) -> function fixes (``functions.py``) -> DESCRIBE shaped
(``describe.py``) -> read-only check of the final tree (``readonly.py``) -> SQL of the target
dialect.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, SqlglotError

from cloudsql_cos_ts.dialect.adhoc import AdhocFilter, apply_adhoc_filters
from cloudsql_cos_ts.dialect.coercion import Schemas, coerce_implicitly
from cloudsql_cos_ts.dialect.describe import shape_describe
from cloudsql_cos_ts.dialect.functions import fix_for_duckdb, normalize_functions
from cloudsql_cos_ts.dialect.ibm_names import resolve_ibm_names
from cloudsql_cos_ts.dialect.ibm_syntax import rewrite_ibm_syntax
from cloudsql_cos_ts.dialect.model import ExternalRef, Translation
from cloudsql_cos_ts.dialect.readonly import check_reads_only, check_statement_keyword, check_statement_kind
from cloudsql_cos_ts.dialect.time_bounds import relation_bounds
from cloudsql_cos_ts.dialect.timeseries import lower_time_series
from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.settings.datasource import DEFAULT_ROW_LIMIT

DIALECTS = ("duckdb", "spark")


def _syntax_error(error: ParseError) -> BadRequest:
    details = error.errors[0] if error.errors else {}
    line, column = details.get("line"), details.get("col")
    where = f" at line {line}, column {column}" if line else ""
    description = details.get("description") or str(error).splitlines()[0]
    near = details.get("highlight")
    return BadRequest(f"SQL syntax error{where}: {description}" + (f" (near {near!r})" if near else ""))


def _parse_one_statement(sql: str) -> exp.Expr:
    try:
        statements = [s for s in sqlglot.parse(sql, read="spark") if s is not None]
    except ParseError as error:
        raise _syntax_error(error) from None
    except SqlglotError as error:
        raise BadRequest(f"SQL syntax error: {str(error).splitlines()[0] if str(error) else 'cannot parse'}") from None
    if not statements:
        raise BadRequest("the query is empty")
    if len(statements) > 1:
        raise BadRequest("only one statement per query is allowed; remove the ';' and what follows it")
    return statements[0]


def _relations_read(tree: exp.Expr) -> tuple[frozenset[str], frozenset[str]]:
    """The relations the statement reads, and those of them only DESCRIBE reads (schema, no rows)."""
    cte_names = {cte.alias.upper() for cte in tree.find_all(exp.CTE)}
    described: set[str] = set()
    scanned: set[str] = set()
    for table in tree.find_all(exp.Table):
        if isinstance(table.this, exp.Identifier):
            (described if table.find_ancestor(exp.Describe) else scanned).add(table.name.upper())
    return frozenset((described | scanned) - cte_names), frozenset(described - scanned - cte_names)


def translate(
    sql: str,
    *,
    dialect: str,
    filters: tuple[AdhocFilter, ...] = (),
    filter_columns: Mapping[str, frozenset[str]] | None = None,
    schemas: Schemas | None = None,
    external_schema: Callable[[ExternalRef], Sequence[tuple[str, str]] | None] | None = None,
    row_limit: int = DEFAULT_ROW_LIMIT,
) -> Translation:
    """Translate one query to ``dialect`` (sqlglot's name of the engine's dialect: duckdb, spark);
    ``filters`` apply to the relations of ``filter_columns`` (name -> columns) that have their key;
    ``schemas`` (name -> typed columns) are the relations whose types Spark's implicit casts follow,
    ``external_schema`` gives those of a ``cos://`` location when they are known before reading it;
    ``row_limit`` (the datasource's) bounds the rows the time-series lowering may generate."""
    if dialect not in DIALECTS:
        raise BadRequest(f"engine dialect {dialect!r} is not supported; supported: {', '.join(DIALECTS)}")
    try:
        return _translate(
            sql,
            dialect,
            filters=filters,
            filter_columns=filter_columns or {},
            schemas=schemas or {},
            external_schema=external_schema,
            row_limit=row_limit,
        )
    except RecursionError:
        raise BadRequest("the query nests parentheses or expressions too deeply") from None


def _translate(
    sql: str,
    dialect: str,
    *,
    filters: tuple[AdhocFilter, ...],
    filter_columns: Mapping[str, frozenset[str]],
    schemas: Schemas,
    external_schema: Callable[[ExternalRef], Sequence[tuple[str, str]] | None] | None,
    row_limit: int,
) -> Translation:
    check_statement_keyword(sql)
    text, externals, target = rewrite_ibm_syntax(sql)
    if external_schema is not None:
        known = ((ref.relation, external_schema(ref)) for ref in externals)
        schemas = {**schemas, **{name: columns for name, columns in known if columns is not None}}
    tree = _parse_one_statement(text)
    check_statement_kind(tree, text)
    tree = resolve_ibm_names(tree)
    # before the ad-hoc filters wrap the flow-log relations in subqueries: only the user's predicates bound reads
    bounds = relation_bounds(tree, frozenset(cte.alias.upper() for cte in tree.find_all(exp.CTE)))
    tree = apply_adhoc_filters(coerce_implicitly(tree, schemas), filters, filter_columns)
    tree = normalize_functions(lower_time_series(tree, row_limit))
    if dialect == "duckdb":
        tree = fix_for_duckdb(tree)
    tree = shape_describe(tree, dialect)
    check_reads_only(tree)
    try:
        output = tree.sql(dialect=dialect)
    except SqlglotError as error:
        raise BadRequest(f"the query cannot be written for the {dialect} engine: {error}") from None
    referenced, schema_only = _relations_read(tree)
    return Translation(
        sql=output,
        referenced=referenced,
        external=externals,
        schema_only=schema_only,
        target=target,
        time_bounds={name: bounds.get(name) for name in referenced},
    )
