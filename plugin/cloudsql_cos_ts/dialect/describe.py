"""``DESCRIBE(x)`` as a table with IBM's columns ``name``, ``type``, ``nullable``.

IBM's ``DESCRIBE`` returned ``name, type, nullable``; dashboards select those names. DuckDB's
``DESCRIBE`` returns ``column_name, column_type, null, …``, so each DESCRIBE (statement or
subquery) is wrapped in a projection renaming them. Spark can run a top-level ``DESCRIBE`` but not
one used as a table; there ``DESCRIBE(x)`` becomes a read of the relation ``__DESCRIBE_X``, which the
Spark engine registers from the schema of ``x`` (see ``engines/spark/describe.py``).
"""

from __future__ import annotations

from sqlglot import exp

DESCRIBED_PREFIX = "__DESCRIBE_"


def _duckdb_columns(describe: exp.Describe) -> exp.Select:
    nullable = exp.EQ(this=exp.column(exp.to_identifier("null", quoted=True)), expression=exp.Literal.string("YES"))
    return exp.select(
        exp.column("column_name").as_("name"),
        exp.column("column_type").as_("type"),
        nullable.as_("nullable"),
    ).from_(exp.Subquery(this=describe.copy()))


def _described_relation(describe: exp.Describe) -> exp.Expr:
    """``SELECT name, type, nullable FROM __DESCRIBE_<X>`` for ``DESCRIBE(x)`` (a subquery in FROM)."""
    table = describe.find(exp.Table)
    assert table is not None  # the read-only guard admits DESCRIBE of tables only
    select = exp.select("name", "type", "nullable").from_(exp.to_table(DESCRIBED_PREFIX + table.name.upper()))
    return select if isinstance(describe.parent, exp.Subquery) else select.subquery()


def shape_describe(tree: exp.Expr, dialect: str) -> exp.Expr:
    """The tree with every DESCRIBE giving ``name, type, nullable`` in the target dialect."""
    for describe in list(tree.find_all(exp.Describe)):
        if dialect == "duckdb":
            shaped = _duckdb_columns(describe)
            if describe is tree:
                return shaped
            describe.replace(shaped)
        elif describe is not tree and not (describe.parent is tree and isinstance(tree, exp.Subquery)):
            describe.replace(_described_relation(describe))
    return tree
