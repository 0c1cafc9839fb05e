"""FLOW / FLOW_FLAT for Spark: the same column names and types as ``flowlogs/schema.py``, in Spark SQL.

Spark reads each flow-log object (one gzip JSON document) with its JSON reader, ``multiLine`` on and
an explicit schema built from the same column lists as DuckDB's, so both engines agree on names and
types by construction. The partition columns come from the object's path (URL-decoded), not from
Spark's partition discovery, whose type inference would turn an all-digit account id into a number.
"""

from __future__ import annotations

from datetime import datetime

from cloudsql_cos_ts.flowlogs.layout import PARTITION_NAMES
from cloudsql_cos_ts.flowlogs.schema import (
    FLOW_COLUMNS,
    FLOW_FLAT_COLUMNS,
    HEADER_JSON,
    PARTITIONS,
    RECORD_MEMBERS,
    Column,
)
from cloudsql_cos_ts.timerange import TimeRange

SPARK_TYPES = {
    "VARCHAR": "STRING",
    "INTEGER": "INT",
    "BIGINT": "BIGINT",
    "BOOLEAN": "BOOLEAN",
    "TIMESTAMP": "TIMESTAMP",
}
FILE_PATH, MODIFIED = "__file_path", "__modified"
RECORD = "__record"


def quote(name: str) -> str:
    """A Spark SQL identifier (partition names carry hyphens)."""
    return "`" + name.replace("`", "``") + "`"


def _fields(columns: tuple[Column, ...], separator: str) -> str:
    return ", ".join(f"{quote(name)}{separator}{SPARK_TYPES[kind]}" for name, kind in columns)


RECORD_TYPE = f"STRUCT<{_fields(RECORD_MEMBERS, ': ')}>"
DOCUMENT_SCHEMA = f"{_fields(HEADER_JSON, ' ')}, flow_logs ARRAY<{RECORD_TYPE}>"


def _key_value(name: str) -> str:
    """The decoded value of ``name=…`` in the object's path (a URI: decoded once more for IBM's key).

    ``url_decode`` is form decoding, so ``+`` is protected first to keep it a plus sign.
    """
    raw = f"regexp_extract({FILE_PATH}, '/{name}=([^/]*)/', 1)"
    decoded = f"url_decode(replace(url_decode(replace({raw}, '+', '%2B')), '+', '%2B'))"
    return f"nullif({decoded}, '')"


def partition_expressions() -> list[str]:
    types = dict(PARTITIONS)
    return [f"CAST({_key_value(name)} AS {SPARK_TYPES[types[name]]}) AS {quote(name)}" for name in PARTITION_NAMES]


def _select(columns: tuple[Column, ...], *, records_from: str | None) -> list[str]:
    """Select items giving ``columns``: record members read from ``records_from`` (FLOW_FLAT) or the
    row itself; RFC 3339 strings cast where the column is a timestamp."""
    members = {name for name, _ in RECORD_MEMBERS}
    items = []
    for name, kind in columns:
        value = f"{records_from}.{quote(name)}" if records_from and name in members else quote(name)
        typed = f"CAST({value} AS TIMESTAMP)" if kind == "TIMESTAMP" else value
        items.append(f"{typed} AS {quote(name)}")
    return items


def flow_select() -> list[str]:
    """Over the document rows with partitions added: ``FLOW_COLUMNS``."""
    return _select(FLOW_COLUMNS, records_from=None)


def flow_flat_select() -> list[str]:
    """Over the document rows with one record exploded into ``RECORD``: ``FLOW_FLAT_COLUMNS``."""
    return _select(FLOW_FLAT_COLUMNS, records_from=RECORD)


def empty_relation(columns: tuple[Column, ...]) -> str:
    """Zero rows with the given names and types (a range holding no object)."""

    def spark_type(kind: str) -> str:
        return f"ARRAY<{RECORD_TYPE}>" if kind.startswith("STRUCT(") else SPARK_TYPES[kind]

    items = ", ".join(f"CAST(NULL AS {spark_type(kind)}) AS {quote(name)}" for name, kind in columns)
    return f"SELECT {items} WHERE false"


def timestamp_literal(moment: datetime) -> str:
    """A UTC instant as a Spark SQL literal (microseconds kept)."""
    return f"TIMESTAMP '{moment.strftime('%Y-%m-%d %H:%M:%S.%f')}+00:00'"


def capture_overlaps(start: str, end: str, window: TimeRange) -> str:
    """Spark SQL keeping the objects whose capture window (``start``/``end`` expressions, either may be NULL)
    overlaps ``window``: what a query without a time predicate reads, on raw objects and lake parts alike."""
    return (
        f"coalesce({start}, {end}) <= {timestamp_literal(window.end)} "
        f"AND coalesce({end}, {start}) >= {timestamp_literal(window.start)}"
    )
