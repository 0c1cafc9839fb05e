"""The datasource's source as Data Engine reads it: ``cos://`` URLs in IBM's syntax, in Spark SQL.

The service reads COS itself, so ``FLOW``, ``FLOW_FLAT`` and ``$__source`` become subqueries over
``cos://<region>/<bucket>/<prefix> STORED AS JSON``. The service (Spark) infers the JSON schema and
adds the Hive-style ``name=value`` folders of IBM's flow-log keys as columns; every column is cast to
the type of ``flowlogs/schema.py`` so the relations have the same names and types on every engine
(an inferred all-digit ``account`` would otherwise be a number). ``FLOW_FLAT`` is one row per record:
``explode`` of ``flow_logs``, so objects without records give no row, as on DuckDB.
"""

from __future__ import annotations

from cloudsql_cos_ts.engines.spark.schema import SPARK_TYPES, quote
from cloudsql_cos_ts.flowlogs.schema import (
    FLOW,
    FLOW_COLUMNS,
    FLOW_FLAT,
    FLOW_FLAT_COLUMNS,
    RECORD_MEMBERS,
    SOURCE,
    Column,
)
from cloudsql_cos_ts.settings.datasource import SourceFormat
from cloudsql_cos_ts.settings.locations import CosLocation

RECORD = "__record"
_MEMBERS = frozenset(name for name, _ in RECORD_MEMBERS)


def stored(url: str, fmt: str) -> str:
    """IBM's table reference for objects below ``url``."""
    return f"{url} STORED AS {fmt.upper()}"


def _items(columns: tuple[Column, ...], *, records_from: str | None) -> str:
    """``columns`` selected from the document row (and the exploded record), each cast to its type."""
    items = []
    for name, kind in columns:
        value = f"{records_from}.{quote(name)}" if records_from and name in _MEMBERS else quote(name)
        spark_type = SPARK_TYPES.get(kind)  # flow_logs (an array of records) is passed as read
        items.append(f"CAST({value} AS {spark_type}) AS {quote(name)}" if spark_type else f"{value} AS {quote(name)}")
    return ", ".join(items)


def source_relations(source: CosLocation, source_format: SourceFormat) -> dict[str, str]:
    """Upper-case relation name -> parenthesised Spark SQL subquery the service can run."""
    url = source.describe()
    if source_format != "flowlogs":
        return {SOURCE: f"(SELECT * FROM {stored(url, source_format)})"}
    documents = stored(url, "json")
    flow = f"(SELECT {_items(FLOW_COLUMNS, records_from=None)} FROM {documents})"
    flat = (
        f"(SELECT {_items(FLOW_FLAT_COLUMNS, records_from=RECORD)} FROM {documents} "
        f"LATERAL VIEW explode(flow_logs) __records AS {RECORD})"
    )
    return {FLOW: flow, SOURCE: flow, FLOW_FLAT: flat}
