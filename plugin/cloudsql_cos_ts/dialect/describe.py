"""``DESCRIBE(x)`` as a table with IBM's columns ``name``, ``type``, ``nullable``.

IBM's ``DESCRIBE`` returned ``name, type, nullable``; dashboards select those names. DuckDB's
``DESCRIBE`` returns ``column_name, column_type, null, …``, so each DESCRIBE (statement or
subquery) is wrapped in a projection renaming them. Spark can run a top-level ``DESCRIBE`` but not
one used as a table, which is refused for now.
"""

from __future__ import annotations

from sqlglot import exp

from cloudsql_cos_ts.errors import BadRequest


def _duckdb_columns(describe: exp.Describe) -> exp.Select:
    nullable = exp.EQ(this=exp.column(exp.to_identifier("null", quoted=True)), expression=exp.Literal.string("YES"))
    return exp.select(
        exp.column("column_name").as_("name"),
        exp.column("column_type").as_("type"),
        nullable.as_("nullable"),
    ).from_(exp.Subquery(this=describe.copy()))


def shape_describe(tree: exp.Expr, dialect: str) -> exp.Expr:
    """The tree with every DESCRIBE giving ``name, type, nullable`` in the target dialect."""
    for describe in list(tree.find_all(exp.Describe)):
        if dialect == "duckdb":
            shaped = _duckdb_columns(describe)
            if describe is tree:
                return shaped
            describe.replace(shaped)
        elif describe is not tree and not (describe.parent is tree and isinstance(tree, exp.Subquery)):
            raise BadRequest(f"DESCRIBE(...) used as a table is not supported on the {dialect} engine yet")
    return tree
