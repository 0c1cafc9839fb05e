"""Settled days of a flow-log source read by Spark from the flow lake's Parquet parts (docs/lake.md).

Spark re-reads every small gzip JSON object on every query, and object count, not bytes, is what
costs it time; a settled day in the lake is one Parquet file holding the same rows. So the days the
DuckDB engine would read as whole-day entries (``groups.entry_groups``) are read from their parts
when the day's manifest holds exactly the objects the listing says the day needs, and every other
hour (the range's partial edges, the live day, days not compacted yet or gone stale) from the raw
objects; the two are one ``unionByName`` with the raw path's column names and types.

The plugin hands Spark only parts its manifests name (superseded parts stay in the bucket) and only
after a listing of the lake shows the part with its manifest's size; Spark cannot check a part's
checksum without reading it, which the plugin would have to download to do. A day whose manifest
is unreadable or whose part is missing or of another size is read from the raw objects, and the
answer says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import pyarrow as pa

from cloudsql_cos_ts.engines.spark.client import DataFrame, Session
from cloudsql_cos_ts.engines.spark.schema import SPARK_TYPES, capture_overlaps, quote, timestamp_literal
from cloudsql_cos_ts.flowlogs.decode import (
    CAPTURE_END_TS,
    CONNECTION_START_TS,
    DAMAGED,
    ENTRY_SCHEMA,
    LAST_MODIFIED,
    RECORD_INDEX,
)
from cloudsql_cos_ts.flowlogs.groups import EntryGroup
from cloudsql_cos_ts.flowlogs.lake.manifest import LakeDamaged
from cloudsql_cos_ts.flowlogs.lake.read import LakeReader, fallback_notice
from cloudsql_cos_ts.flowlogs.schema import FLOW_FLAT_COLUMNS
from cloudsql_cos_ts.timerange import TimeRange


@dataclass(frozen=True)
class LakeParts:
    """The parts Spark reads for a query's settled days, and the days that fell back to raw objects."""

    keys: tuple[str, ...] = ()  # the parts' keys in the lake's store
    days: frozenset[date] = frozenset()  # the days they serve: their hour folders are not read raw
    bytes: int = 0
    notices: tuple[str, ...] = ()


def choose_parts(reader: LakeReader, groups: Sequence[EntryGroup]) -> LakeParts:
    """The lake's part for every settled-day group whose manifest holds exactly what the day needs.

    A manifest lacking a needed object (a late or re-uploaded one) or holding one the listing no
    longer has is stale: that day is read raw without a notice, as before it was compacted.
    """
    days = [group for group in groups if group.day is not None]
    if not days:
        return LakeParts()
    sizes = {info.key: info.size for info in reader.lake.store.list(reader.lake.prefix).objects}
    keys: list[str] = []
    served: set[date] = set()
    notices: list[str] = []
    total = 0
    for group in days:
        assert group.day is not None
        try:
            manifest = reader.manifest(group.day)
            if manifest is None or not group.needed_ids <= manifest.objects <= group.listed_ids:
                continue
            key = reader.lake.part_key(group.day, manifest.part)
            if sizes.get(key) != manifest.size:
                raise LakeDamaged(f"the part {manifest.part} of {group.day} is missing or not of its manifest's size")
        except LakeDamaged as exc:
            notices.append(fallback_notice(group.day, exc))
            continue
        keys.append(key)
        served.add(group.day)
        total += manifest.size
    return LakeParts(tuple(keys), frozenset(served), total, tuple(notices))


def lake_flow_flat(session: Session, uris: Sequence[str], cutoff: datetime, window: TimeRange | None) -> DataFrame:
    """``FLOW_FLAT`` over lake parts: the rows the raw path would give, with its names and types.

    As in the DuckDB views over ingest entries: damaged objects' marker rows and the row of an
    object without records are left out, and so are objects modified before the pruning cutoff.
    """
    rows = (
        session.read.format("parquet")
        .schema(PART_SCHEMA)
        .load(list(uris))
        .where(f"{quote(RECORD_INDEX)} IS NOT NULL AND {quote(RECORD_INDEX)} <> {DAMAGED}")
        .where(f"CAST({quote(LAST_MODIFIED)} AS TIMESTAMP) >= {timestamp_literal(cutoff)}")
    )
    if window is not None:  # no time predicate: the objects whose capture window overlaps the range
        rows = rows.where(capture_overlaps("CAST(capture_start_time AS TIMESTAMP)", _CAPTURE_END, window))
    return rows.selectExpr(*_flat_select())


# The capture end parsed at ingest; a part written before that column reads it as NULL, and so does a time the
# parse left NULL (empty, no time): the text is then parsed per row as on the raw objects.
_CAPTURE_END = f"coalesce(CAST({quote(CAPTURE_END_TS)} AS TIMESTAMP), try_to_timestamp(capture_end_time))"


def _stored(name: str) -> str:
    """The part's column a ``FLOW_FLAT`` column is read from."""
    return CONNECTION_START_TS if name == "connection_start_time" else name


def _flat_select() -> list[str]:
    return [f"CAST({quote(_stored(name))} AS {SPARK_TYPES[kind]}) AS {quote(name)}" for name, kind in FLOW_FLAT_COLUMNS]


def _spark_type(kind: pa.DataType) -> str:
    """The Spark SQL type of a part's column: timestamps are stored without a zone (UTC by convention)."""
    if pa.types.is_dictionary(kind):
        return _spark_type(kind.value_type)
    if pa.types.is_timestamp(kind):
        return "TIMESTAMP_NTZ" if kind.tz is None else "TIMESTAMP"
    names = {pa.string(): "STRING", pa.int32(): "INT", pa.int64(): "BIGINT", pa.bool_(): "BOOLEAN"}
    return names[kind]


def _part_schema() -> str:
    """The columns ``lake_flow_flat`` reads, typed as the ingest cache's entries (a part is one) store them.

    Given to Spark, it spares every query's plan a read of the parts' footers to infer their schema.
    """
    wanted = {RECORD_INDEX, LAST_MODIFIED, "capture_start_time", "capture_end_time", CAPTURE_END_TS}
    wanted |= {_stored(name) for name, _ in FLOW_FLAT_COLUMNS}
    return ", ".join(f"{quote(f.name)} {_spark_type(f.type)}" for f in ENTRY_SCHEMA if f.name in wanted)


PART_SCHEMA = _part_schema()
