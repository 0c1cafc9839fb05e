"""The statement a Data Engine job runs: the query with its relations bound to COS, plus ``INTO``.

The pipeline hands the engine Spark SQL that reads relations by name (``FLOW_FLAT``, ``__SOURCE``,
``__PREV_A``); the service knows none of them, only ``cos://… STORED AS …`` references. Each such
table in the parsed statement is replaced by a unique placeholder keeping its alias (or its name, so
``FLOW_FLAT.col`` still resolves), the statement is written back as Spark SQL, and the placeholders
become the subqueries in text (sqlglot cannot parse IBM's ``cos://`` syntax, so it never sees it).
Names the engine does not bind are left for the service, whose catalog may know them.

Every job ends with ``INTO <target> STORED AS <format>``: where the service writes the result (it
adds a ``jobid=<id>/`` folder below the target).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from cloudsql_cos_ts.dialect.describe import DESCRIBED_PREFIX
from cloudsql_cos_ts.engines.dataengine.relations import stored
from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.macros.model import DestSpec

_DESCRIBE_REFUSED = (
    "DESCRIBE is not available on the dataengine engine (the service describes only cos:// objects); "
    "run it on the duckdb engine, or select from the relation with LIMIT 0"
)


def bind_relations(sql: str, bodies: Mapping[str, str]) -> str:
    """``sql`` with every table named in ``bodies`` (upper-case names) replaced by its subquery text."""
    try:
        tree = sqlglot.parse_one(sql, read="spark")
    except SqlglotError as error:
        raise BadRequest(f"the query cannot be prepared for Data Engine: {str(error).splitlines()[0]}") from None
    if isinstance(tree, exp.Describe):
        raise BadRequest(_DESCRIBE_REFUSED)
    own_names = {cte.alias.upper() for cte in tree.find_all(exp.CTE)}
    nonce = uuid.uuid4().hex[:12]
    placeholders: dict[str, str] = {}
    for table in list(tree.find_all(exp.Table)):
        if table.args.get("db") or not isinstance(table.this, exp.Identifier):
            continue
        name = table.name.upper()
        if name.startswith(DESCRIBED_PREFIX):
            raise BadRequest(_DESCRIBE_REFUSED)
        body = bodies.get(name)
        if body is None or name in own_names:
            continue
        placeholder = f"__DATAENGINE_{nonce}_{len(placeholders)}"
        placeholders[placeholder] = body
        alias = table.args.get("alias") or exp.TableAlias(this=exp.to_identifier(table.name))
        table.replace(exp.Table(this=exp.to_identifier(placeholder), alias=alias.copy()))
    text = tree.sql(dialect="spark")
    for placeholder, body in placeholders.items():
        text = text.replace(placeholder, body)
    return text


def ibm_target(statement: str, dest: DestSpec) -> str:
    """The job statement for IBM's ``INTO cos://…`` clause: the service writes and lays out the objects."""
    assert dest.location is not None  # only INTO cos://… requests carry one
    clause = f"INTO {dest.location}{'' if dest.job_prefix else ' JOBPREFIX NONE'} STORED AS {dest.format.upper()}"
    if dest.partition_by:
        clause += " PARTITIONED BY (" + ", ".join("`" + c.replace("`", "``") + "`" for c in dest.partition_by) + ")"
    elif dest.objects is not None:
        clause += f" PARTITIONED INTO {dest.objects} OBJECTS"
    elif dest.rows_per_object is not None:
        clause += f" PARTITIONED EVERY {dest.rows_per_object} ROWS"
    return f"{statement} {clause}"


def with_target(statement: str, target_url: str, fmt: str) -> str:
    """The job statement: ``statement`` writing its result below ``target_url`` in ``fmt``."""
    return f"{statement} INTO {stored(target_url, fmt)}"
