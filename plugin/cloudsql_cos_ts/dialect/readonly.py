"""The read-only guard: only one SELECT / WITH / VALUES / DESCRIBE statement reaches an engine.

The engine's sandbox limits file access, but DuckDB still runs ``ATTACH``, ``SET``, ``INSTALL`` …
and Spark runs ``reflect()``; so SQL is checked on the parse tree, after all rewriting, against:

* the statement kind (everything but a query is refused, naming its keyword);
* statement nodes nested anywhere (``INSERT`` in a CTE, ``SELECT … INTO``);
* functions that read files, URLs, settings or the environment, or run SQL or Java, by name and
  name prefix (deny list) — anywhere in the statement;
* table functions: only ``range``, ``generate_series`` and ``unnest``/``explode`` (allow list);
* ``DESCRIBE`` of anything but a table name (``DESCRIBE read_csv(...)`` would read a file);
* table names: plain names only, so neither a schema-qualified system table nor DuckDB's
  "replacement scan" of a file-like name (``FROM 'x.csv'``) gets through. Whether a name is one of
  the registered relations is the engine's check (``Translation.referenced``).
"""

from __future__ import annotations

import re

from sqlglot import exp

from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.lexer import Token, TokenKind, next_significant, tokenize

_QUERY_KEYWORDS = frozenset({"SELECT", "WITH", "VALUES", "DESCRIBE", "DESC", "FROM", "TABLE"})
_QUERY_ROOTS = (exp.Select, exp.SetOperation, exp.Values, exp.Describe, exp.Subquery)
_STATEMENTS = (
    exp.DML,
    exp.DDL,
    exp.Command,
    exp.Set,
    exp.Pragma,
    exp.Use,
    exp.Cache,
    exp.Uncache,
    exp.Copy,
    exp.Transaction,
    exp.Commit,
    exp.Rollback,
    exp.LoadData,
    exp.Refresh,
    exp.Attach,
    exp.Detach,
    exp.Install,
    exp.Export,
    exp.Kill,
    exp.Analyze,
    exp.Grant,
    exp.Revoke,
    exp.TruncateTable,
    exp.Summarize,
    exp.Show,
)
_DENIED_FUNCTIONS = frozenset(
    {
        "getenv",
        "current_setting",
        "getvariable",
        "query",
        "query_table",
        "glob",
        "sniff_csv",
        "which_secret",
        "load_aws_credentials",
        "reflect",
        "java_method",
        "try_reflect",
        "nextval",
        "currval",
        "setseed",
        "checkpoint",
        "force_checkpoint",
        "from_substrait",
        "get_substrait",
        "get_substrait_json",
        "json_execute_serialized_sql",
        "sql_auto_complete",
        "st_read",
        "input_file_name",
    }
)
_DENIED_PREFIXES = (
    "read_",
    "parquet_",
    "duckdb_",
    "pragma_",
    "iceberg_",
    "delta_",
    "sqlite_",
    "postgres_",
    "mysql_",
    "http",
    "pg_",
    "json_execute",
    "ducklake_",
    "st_read",
)
_TABLE_FUNCTIONS = frozenset({"range", "generate_series", "unnest"})
_GENERATORS = frozenset({"explode", "explode_outer", "posexplode", "posexplode_outer", "inline", "unnest"})
_TABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SYSTEM_TABLE_PREFIXES = ("duckdb_", "pg_", "sqlite_", "pragma_", "information_schema")


def _first_keyword(sql: str) -> str | None:
    return _keyword_at(tokenize(sql), 0)


def _keyword_at(tokens: list[Token], start: int) -> str | None:
    first = next_significant(tokens, start)
    return tokens[first].text.upper() if first < len(tokens) and tokens[first].kind is TokenKind.WORD else None


def _refuse_statement(keyword: str | None) -> BadRequest:
    return BadRequest(
        f"{keyword or 'this'} statements are not allowed: only SELECT, WITH, VALUES and DESCRIBE queries "
        "can run (use INTO $__dest(...) or INTO cos://… STORED AS … to save a result)"
    )


def check_statement_keyword(sql: str) -> None:
    """Before parsing: refuse a statement that does not start like a query, naming its keyword.

    Checked on the text so that statements sqlglot cannot parse (``ATTACH 'x.db'``, ``EXPORT
    DATABASE``) are named instead of being reported as syntax errors; so is a second statement.
    """
    tokens = tokenize(sql)
    keyword = _keyword_at(tokens, 0)
    if keyword is not None and keyword not in _QUERY_KEYWORDS:
        raise _refuse_statement(keyword)
    for index, token in enumerate(tokens):
        # A second statement is refused before parsing: sqlglot cannot parse many of the dangerous
        # ones (ATTACH 'x', LOAD x) and would report them as mere syntax errors.
        if token.is_symbol(";") and next_significant(tokens, index + 1) < len(tokens):
            raise BadRequest("only one statement per query is allowed; remove the ';' and what follows it")


def check_statement_kind(tree: exp.Expr, sql: str) -> None:
    """After parsing: refuse anything but a query statement."""
    if not isinstance(tree, _QUERY_ROOTS):
        raise _refuse_statement(tree.key.upper() if isinstance(tree, _STATEMENTS) else _first_keyword(sql))


def function_name(node: exp.Func) -> str:
    return (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()


def _check_function(node: exp.Func) -> None:
    name = function_name(node)
    if name in _DENIED_FUNCTIONS or name.startswith(_DENIED_PREFIXES):
        raise BadRequest(
            f"function {name}() is not allowed: queries may not read files, URLs, settings or the "
            "environment; read data through $__source, FLOW/FLOW_FLAT or cos://... STORED AS ..."
        )


def _check_table(table: exp.Table) -> None:
    if isinstance(table.this, exp.Func):
        _check_function(table.this)
        name = function_name(table.this)
        if name not in _TABLE_FUNCTIONS:
            raise BadRequest(f"table function {name}() is not allowed; only range, generate_series and unnest are")
        return
    name = table.name
    if table.args.get("db") or table.args.get("catalog"):
        raise BadRequest(
            f"table {table.sql(dialect='spark')}: qualified table names are not allowed; use the plain name"
        )
    if not _TABLE_NAME.fullmatch(name):
        raise BadRequest(
            f"table name {name!r} is not allowed: files cannot be read by name; use $__source or "
            "cos://<region>/<bucket>/<prefix> STORED AS JSON|PARQUET|CSV|ORC|AVRO"
        )
    if name.lower().startswith(_SYSTEM_TABLE_PREFIXES):
        raise BadRequest(f"table {name} is not allowed: system tables are not available")


def check_reads_only(tree: exp.Expr) -> None:
    """Walk the final tree and refuse anything that is not reading the registered relations."""
    for node in tree.walk():
        if isinstance(node, _STATEMENTS):
            raise BadRequest(f"{_first_keyword(node.sql(dialect='spark'))} is not allowed inside a query")
        if isinstance(node, exp.Describe) and not (
            isinstance(node.this, exp.Table) and isinstance(node.this.this, exp.Identifier)
        ):
            raise BadRequest("DESCRIBE takes the name of a table, e.g. DESCRIBE(FLOW_FLAT)")
        if isinstance(node, exp.Into):
            raise BadRequest(
                "INTO is only allowed as INTO $__dest(...) or INTO cos://… STORED AS …: the plugin writes results, "
                "SQL cannot"
            )
        if isinstance(node, exp.Func):
            _check_function(node)
        if isinstance(node, exp.Table):
            _check_table(node)
        if (
            isinstance(node, exp.Lateral)
            and isinstance(node.this, exp.Func)
            and function_name(node.this) not in _GENERATORS
        ):
            raise BadRequest(
                f"LATERAL VIEW {function_name(node.this)}() is not allowed; use explode, posexplode or inline"
            )
