"""Turn downloaded flow-log objects (gzip JSON documents) into one Arrow table for the ingest cache.

The documents are parsed with their known schema (``documents.py``), then ``flow_logs`` is flattened
with list offsets. The stored table has one row per record, plus one row with null record fields for
each object whose ``flow_logs`` is empty (``__rec`` is NULL there), so both ``FLOW`` (per object) and
``FLOW_FLAT`` (per record) are answered from the same file.

The object's own strings (its key, the CRNs, the partition values) repeat on every record row and
are most of its bytes, so they are dictionary arrays: one value per object, an index per row. A day
entry holds its decoded rows until the row group is written, and holding less costs less CPU
(docs/benchmarks.md). The Parquet file and what DuckDB reads from it are the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cloudsql_cos_ts.flowlogs.documents import one_array, read_documents, utc_moments
from cloudsql_cos_ts.flowlogs.layout import FlowLogKey, VnicPartition
from cloudsql_cos_ts.flowlogs.native import ARROW_TYPES
from cloudsql_cos_ts.flowlogs.schema import HEADER_JSON, PARTITIONS, RECORD_MEMBERS

TIMESTAMP = pa.timestamp("us")
OBJECT_STRING = pa.dictionary(pa.int32(), pa.string())  # a per-object string, repeated on its record rows
# Internal columns of a stored entry: which object a row came from, and the record's position in it.
KEY, ETAG, LAST_MODIFIED, RECORD_INDEX = "__key", "__etag", "__last_modified", "__rec"
# ``__rec`` of the one row a damaged object gets (records count from 1; an empty object's row is NULL).
DAMAGED = 0
CONNECTION_START_TS = "__connection_start_ts"
# ``capture_end_time`` parsed once at ingest, as the views parse the text: their capture-window filter
# reads it instead of parsing every row's text (``FLOW_FLAT`` keeps exposing the text).
CAPTURE_END_TS = "__capture_end_ts"

# A set of object versions, each as "<key>\0<ETag>": strings cache their hash, so the set operations
# every warm query runs on thousands of them cost a third of what (key, ETag) tuples would.
Manifest = frozenset[str]


@dataclass(frozen=True)
class SourceObject:
    """A listed flow-log object: where it is, its version, and what its key says."""

    key: str
    etag: str
    last_modified: datetime
    size: int
    parsed: FlowLogKey

    @cached_property
    def id(self) -> str:
        """The object's version as a manifest item, built once: the ingest path compares it several times."""
        return object_id(self.key, self.etag)


def object_id(key: str, etag: str) -> str:
    return f"{key}\0{etag}"


def object_key(object_id: str) -> str:
    return object_id.partition("\0")[0]


def object_ids(objects: Iterable[SourceObject]) -> Manifest:
    return frozenset(o.id for o in objects)


def utc_timestamps(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """RFC 3339 strings as naive UTC timestamps; strings without an offset are taken as UTC.

    An empty string or one that is no time becomes NULL, as IBM SQL Query (Spark, ANSI off) read
    it: IBM's own sample object holds ``"start_time": ""``, and one such record must not make every
    query over its hour fail. The vectorised cast handles clean columns; only a column that holds
    such a value takes the per-value path.
    """
    try:
        return pc.cast(pc.cast(values, pa.timestamp("us", tz="UTC")), TIMESTAMP)
    except pa.ArrowInvalid:
        return pa.array([_utc_or_none(text) for text in values.to_pylist()], TIMESTAMP)


def _utc_or_none(text: str | None) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def decode_objects(objects: Sequence[tuple[SourceObject, bytes]]) -> pa.Table:
    """One table (stored-entry layout) for the given objects and their downloaded bytes.

    A damaged object (not gzip, not one JSON document, not shaped like a flow-log document) never
    fails the hour: it gets one row with its key, ETag and partition values, ``__rec`` =
    :data:`DAMAGED` and nothing else, so the entry records it as read-and-damaged (a new ETag is
    read again), the views leave it out and the answer can say which object was skipped.
    """
    if not objects:
        return empty_entry()
    documents, damaged = read_documents([data for _, data in objects])
    per_object = documents.drop_columns(["flow_logs"])
    per_object = per_object.set_column(
        per_object.schema.get_field_index("capture_start_time"),
        "capture_start_time",
        utc_timestamps(per_object.column("capture_start_time")),
    )
    per_object = _with_object_columns(per_object, [obj for obj, _ in objects]).combine_chunks()
    flow_logs = one_array(documents.column("flow_logs"))
    lengths = pc.fill_null(pc.list_value_length(flow_logs), 0)
    records = pc.list_flatten(flow_logs)
    positions = _positions_within_parents(lengths)
    empty = pc.indices_nonzero(pc.equal(lengths, 0))
    owners = pa.concat_arrays([pc.list_parent_indices(flow_logs).cast(pa.int32()), empty.cast(pa.int32())])
    table = _repeated(per_object, owners)
    record_columns = [records.field(name) for name, _ in RECORD_MEMBERS]
    if len(empty):  # an object without records gets one row of NULL record fields, as a second chunk (no copy)
        record_columns = [pa.chunked_array([column, pa.nulls(len(empty), column.type)]) for column in record_columns]
    marks = pc.if_else(damaged.take(empty), pa.scalar(DAMAGED, pa.int32()), pa.scalar(None, pa.int32()))
    table = table.append_column(RECORD_INDEX, pa.concat_arrays([positions, marks]))
    for (name, _), column in zip(RECORD_MEMBERS, record_columns, strict=True):
        table = table.append_column(name, column)
    table = table.append_column(CONNECTION_START_TS, utc_timestamps(table.column("connection_start_time")))
    return with_capture_end(table)


def with_capture_end(table: pa.Table) -> pa.Table:
    """``table`` (stored-entry layout) with :data:`CAPTURE_END_TS` last, parsed from ``capture_end_time``.

    Also how rows copied from an entry written before the column existed get it. The text is an
    object's, so it is parsed once per distinct value (the dictionary's), not once per record row.
    """
    texts = one_array(table.column("capture_end_time"))
    if pa.types.is_dictionary(texts.type):
        moments = utc_moments(texts.dictionary).take(texts.indices)
    else:
        moments = utc_moments(texts)
    return table.append_column(CAPTURE_END_TS, moments)


def damaged_keys(table: pa.Table) -> list[str]:
    """The keys of the objects ``table`` (stored-entry layout) marks as damaged."""
    marked = table.filter(pc.equal(table.column(RECORD_INDEX), DAMAGED))
    return sorted(set(marked.column(KEY).cast(pa.string()).to_pylist()))


def _repeated(per_object: pa.Table, owners: pa.Array) -> pa.Table:
    """Row ``i`` holds object ``owners[i]``'s columns; strings as dictionaries of the objects' values."""
    columns = []
    for column in per_object.columns:
        values = column.chunk(0)
        if pa.types.is_string(values.type):
            encoded = pc.dictionary_encode(values)
            columns.append(pa.DictionaryArray.from_arrays(encoded.indices.take(owners), encoded.dictionary))
        else:
            columns.append(values.take(owners))
    return pa.Table.from_arrays(columns, schema=_per_object_schema(per_object.schema))


def _per_object_schema(schema: pa.Schema) -> pa.Schema:
    return pa.schema([pa.field(f.name, OBJECT_STRING if pa.types.is_string(f.type) else f.type) for f in schema])


def _positions_within_parents(lengths: pa.Array) -> pa.Array:
    """1-based record positions: [1..n0, 1..n1, ...] for list lengths [n0, n1, ...]."""
    counts = lengths.to_numpy(zero_copy_only=False)
    total = int(counts.sum())
    if total == 0:
        return pa.array([], pa.int32())
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return pa.array(np.arange(total, dtype=np.int64) - starts + 1, pa.int32())


def _with_object_columns(table: pa.Table, objects: Sequence[SourceObject]) -> pa.Table:
    """Add partition values (from the key) and the object's identity columns.

    The partition values are built once per stream folder (about a dozen objects each) and
    repeated by index, instead of thirteen Python values per object.
    """
    folders: dict[tuple[VnicPartition, datetime, str], int] = {}
    owners = pa.array(
        [folders.setdefault((o.parsed.vnic, o.parsed.hour_start, o.parsed.stream_id), len(folders)) for o in objects],
        pa.int32(),
    )
    rows = [(*vnic, hour.year, hour.month, hour.day, hour.hour, stream) for vnic, hour, stream in folders]
    for (name, kind), values in zip(PARTITIONS, zip(*rows, strict=True), strict=True):
        table = table.append_column(name, pa.array(values, ARROW_TYPES[kind]).take(owners))
    table = table.append_column(KEY, pa.array([o.key for o in objects], pa.string()))
    table = table.append_column(ETAG, pa.array([o.etag for o in objects], pa.string()))
    modified = pa.array([o.last_modified for o in objects], pa.timestamp("us", tz="UTC"))
    return table.append_column(LAST_MODIFIED, modified.cast(TIMESTAMP))


def _entry_schema() -> pa.Schema:
    per_object = [pa.field(n, ARROW_TYPES[k]) for n, k in HEADER_JSON if n != "capture_start_time"]
    per_object.insert(6, pa.field("capture_start_time", TIMESTAMP))
    per_object += [pa.field(n, ARROW_TYPES[k]) for n, k in PARTITIONS]
    per_object += [pa.field(KEY, pa.string()), pa.field(ETAG, pa.string()), pa.field(LAST_MODIFIED, TIMESTAMP)]
    fields = list(_per_object_schema(pa.schema(per_object)))
    fields += [pa.field(RECORD_INDEX, pa.int32())]
    fields += [pa.field(n, ARROW_TYPES[k]) for n, k in RECORD_MEMBERS]
    fields += [pa.field(CONNECTION_START_TS, TIMESTAMP), pa.field(CAPTURE_END_TS, TIMESTAMP)]
    return pa.schema(fields)


ENTRY_SCHEMA = _entry_schema()
# The layout entries and lake parts had before ``CAPTURE_END_TS``: still read as they are (the views parse
# the text for them) and given the column when their rows are copied into a new entry.
UNTYPED_END_SCHEMA = ENTRY_SCHEMA.remove(ENTRY_SCHEMA.get_field_index(CAPTURE_END_TS))


def is_entry_layout(schema: pa.Schema) -> bool:
    """Whether a Parquet file's schema is an entry's, in the current layout or the one before it."""
    return any(schema.equals(layout) for layout in (ENTRY_SCHEMA, UNTYPED_END_SCHEMA))


def empty_entry() -> pa.Table:
    """A zero-row table in the stored-entry layout."""
    return ENTRY_SCHEMA.empty_table()
