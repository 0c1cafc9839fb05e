"""Writing one ingest entry: rows copied from entries that hold them already, the rest downloaded.

An entry (an hour's or a settled day's, see ``groups.py``) is assembled from *sources*, existing
entries whose manifests are exact, so any of their objects' rows can be copied instead of
downloading and decoding the object again: the group's own previous entry (the hour grew), the
hourly entries of a day being compacted, or the day entry of an hour now needed on its own. Only
objects no source holds are fetched, a few source hours at a time.

Memory stays bounded whatever the entry's size: sources are read in batches and fresh objects
decoded a chunk of hours at a time, and rows are buffered only up to one row group before they are written.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Generator, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.flowlogs.decode import (
    CAPTURE_END_TS,
    CONNECTION_START_TS,
    DAMAGED,
    ENTRY_SCHEMA,
    KEY,
    LAST_MODIFIED,
    RECORD_INDEX,
    Manifest,
    SourceObject,
    damaged_keys,
    decode_objects,
    empty_entry,
    object_ids,
    object_key,
    with_capture_end,
)
from cloudsql_cos_ts.flowlogs.fetch import Fetched, fetch_objects, raise_if_cancelled
from cloudsql_cos_ts.flowlogs.layout import TIME_LEVELS
from cloudsql_cos_ts.flowlogs.parallel import spare_cores
from cloudsql_cos_ts.storage.base import ObjectStore

# DuckDB parallelises a scan by row group; a few large ones per file cost the least per query.
ROW_GROUP_ROWS = 256 * 1024
# Columns whose row-group minimum and maximum can skip rows: the views' own filters and the time
# columns and partitions time predicates compare. Over a row group of a whole hour or day the other
# columns (addresses, ports, counters, CRNs) span nearly every value, so their statistics would cost
# write time and never skip a row group.
STATISTICS_COLUMNS = [
    LAST_MODIFIED,
    RECORD_INDEX,
    CONNECTION_START_TS,
    CAPTURE_END_TS,
    "capture_start_time",
    "capture_end_time",
    "start_time",
    "end_time",
    *TIME_LEVELS,
]
# Columns whose values are nearly all distinct within a row group (the record times, byte counts and
# the connection start): a dictionary only costs them hashing while writing, and the time strings
# outgrow the dictionary page and are stored plain anyway. Every other column stays dictionary-encoded.
UNIQUE_VALUE_COLUMNS = frozenset(
    {
        "start_time",
        "end_time",
        "connection_start_time",
        CONNECTION_START_TS,
        CAPTURE_END_TS,
        "bytes_from_initiator",
        "bytes_from_target",
        "cumulative_bytes_from_initiator",
        "cumulative_bytes_from_target",
    }
)
DICTIONARY_COLUMNS = [name for name in ENTRY_SCHEMA.names if name not in UNIQUE_VALUE_COLUMNS]
_READ_BATCH_ROWS = 64 * 1024
DECODE_AHEAD = 2
# Fresh objects are decoded in chunks of whole source hours of about this many (gzip) bytes: each decode
# call has a fixed cost (a DuckDB statement, a dozen Arrow calls) that hours of few or small objects would
# pay again and again, while a chunk this size keeps what waits in memory small.
DECODE_CHUNK_BYTES = 2 << 20
# The codec of the entries the local ingest cache keeps: warm queries decompress them again and again, and
# Snappy costs DuckDB less CPU there than ZSTD for somewhat larger files (docs/benchmarks.md). Lake parts
# travel and are stored in the bucket, where bytes cost money: they are written with ``LAKE_CODEC``.
LOCAL_CODEC = "snappy"
LAKE_CODEC = "zstd"


@dataclass(frozen=True)
class Entry:
    """An entry on disk: its file, the exact (key, ETag) set of its rows, and which of them are damaged.

    A damaged object is in the manifest (it was read; reading the same ETag again gives the same
    bytes) but has only a marker row (``decode.DAMAGED``): a re-uploaded object has a new ETag, is
    not in the manifest and is read again.
    """

    path: Path
    manifest: Manifest
    damaged: Manifest = frozenset()


@dataclass
class Assembled:
    """What ``assemble`` wrote, and how many objects were copied or downloaded."""

    temp: Path
    manifest: Manifest
    damaged: Manifest = frozenset()
    copied: int = 0  # needed objects whose rows came from a source
    fetched: int = 0
    bytes_read: int = 0
    records: int = 0  # flow-log records decoded from the fetched objects


def assemble(
    store: ObjectStore,
    group_dir: Path,
    *,
    listed: Sequence[SourceObject],
    needed: Sequence[SourceObject],
    sources: Sequence[Entry],
    cancel: CancelToken,
    codec: str = LOCAL_CODEC,
) -> Assembled:
    """Write, to a temp file in ``group_dir``, every needed object plus what sources hold and is still listed.

    Keeping the still-listed objects of the sources (not just the needed ones) means an entry only
    grows while its objects exist, so a later, wider query finds it complete.
    """
    listed_ids, needed_ids = object_ids(listed), object_ids(needed)
    taken: set[str] = set()
    plan: list[tuple[pq.ParquetFile, Manifest, bool]] = []
    for source in sources:
        take = (source.manifest & listed_ids) - taken
        if not take:
            continue
        try:  # an open file stays readable even if eviction deletes it now
            handle = pq.ParquetFile(source.path)
        except (OSError, pa.ArrowInvalid):
            continue  # gone or unreadable: its objects are downloaded instead
        plan.append((handle, frozenset(take), take == source.manifest))
        taken |= take
    missing = [o for o in needed if o.id not in taken]
    temp = group_dir / f".tmp-{os.getpid()}-{threading.get_ident()}.parquet"
    result = Assembled(temp, frozenset(), copied=len(needed_ids & taken))
    writer = _EntryWriter(temp, codec)
    fetched_ids: set[str] = set()
    damaged = {item for _, take, _ in plan for item in take} & {d for source in sources for d in source.damaged}
    try:
        for handle, take, whole in plan:
            for table in _rows_of(handle, None if whole else take):
                raise_if_cancelled(cancel)
                writer.add(table)
        with closing(_fresh_chunks(store, missing, cancel)) as fresh:
            for chunk in fresh:
                result.fetched += len(chunk.ids)
                result.bytes_read += chunk.bytes_read
                result.records += chunk.records
                fetched_ids.update(chunk.ids)
                damaged.update(chunk.damaged)
                writer.add(chunk.table)
                raise_if_cancelled(cancel)
        writer.close()
    except BaseException:
        writer.abort()
        raise
    finally:
        for handle, _, _ in plan:
            handle.close()
    result.manifest = frozenset(taken | fetched_ids)
    result.damaged = frozenset(damaged)
    return result


def _rows_of(handle: pq.ParquetFile, take: Manifest | None) -> Iterator[pa.Table]:
    """The entry's rows of the objects in ``take`` (all rows for None), in batches.

    Filtering by key alone is exact: within one entry every key has one ETag.
    """
    keys = None if take is None else pa.array(sorted(map(object_key, take)), pa.string())
    for batch in handle.iter_batches(batch_size=_READ_BATCH_ROWS):
        table = pa.Table.from_batches([batch])
        yield table if keys is None else table.filter(pc.is_in(table.column(KEY), value_set=keys))


@dataclass(frozen=True)
class _FreshChunk:
    ids: list[str]  # with the ETag as read
    damaged: list[str]  # ids of the objects that could not be decoded
    bytes_read: int
    records: int  # rows that are records: not an empty object's NULL row, not a damaged object's marker
    table: pa.Table


def _fresh_chunks(
    store: ObjectStore, objects: Sequence[SourceObject], cancel: CancelToken
) -> Generator[_FreshChunk, None, None]:
    """The objects fetched and decoded a chunk of source hours at a time, so a day is never decoded at once.

    ``DECODE_AHEAD`` chunks are fetched ahead on helper threads while the caller writes, always: over an
    object store each fetch waits on the network, and a chunk fetched only once the one before is written
    made a cold dashboard over a store with latency much slower (docs/benchmarks.md). The decode (gunzip,
    JSON parsing) runs on the helpers too while a core has no ingest job (``parallel.spare_cores``): a cold
    day decoded chunk after chunk would keep that core idle. While every core has a job, a chunk is decoded
    on the caller's thread once fetched: more threads than cores only add CPU. At most ``DECODE_AHEAD``
    chunks and one more wait in memory.
    """
    chunks = decode_chunks(objects)
    if len(chunks) <= 1:  # nothing to overlap
        yield from (_decode(_fetch(store, chunk, cancel)) for chunk in chunks)
        return
    with ThreadPoolExecutor(max_workers=DECODE_AHEAD, thread_name_prefix="ingest-chunk") as pool:
        pending: deque[Future[_FreshChunk | list[Fetched]]] = deque()
        try:
            for chunk in chunks:
                ahead = _fetch_and_decode if spare_cores() else _fetch
                pending.append(pool.submit(ahead, store, chunk, cancel))
                if len(pending) > DECODE_AHEAD:
                    yield _decoded(pending.popleft().result())
            while pending:
                yield _decoded(pending.popleft().result())
        finally:
            for future in pending:
                future.cancel()


def decode_chunks(objects: Sequence[SourceObject]) -> list[list[SourceObject]]:
    """The objects by source hour, consecutive hours joined while a chunk is under ``DECODE_CHUNK_BYTES``.

    An hour is never split (an hour larger than the budget is a chunk of its own), so a chunk's rows
    are whole hours in the order the objects came.
    """
    hours: dict[object, list[SourceObject]] = {}
    for obj in objects:
        hours.setdefault(obj.parsed.hour_start, []).append(obj)
    chunks: list[list[SourceObject]] = []
    size = 0
    for hour in hours.values():
        hour_size = sum(obj.size for obj in hour)
        if chunks and size + hour_size <= DECODE_CHUNK_BYTES:
            chunks[-1].extend(hour)
            size += hour_size
        else:
            chunks.append(list(hour))
            size = hour_size
    return chunks


def _fetch(store: ObjectStore, chunk: list[SourceObject], cancel: CancelToken) -> list[Fetched]:
    return list(fetch_objects(store, chunk, cancel))


def _fetch_and_decode(store: ObjectStore, chunk: list[SourceObject], cancel: CancelToken) -> _FreshChunk:
    return _decode(_fetch(store, chunk, cancel))


def _decoded(ahead: _FreshChunk | list[Fetched]) -> _FreshChunk:
    """A chunk a helper decoded, or fetched only (to be decoded on this thread)."""
    return ahead if isinstance(ahead, _FreshChunk) else _decode(ahead)


def _decode(fetched: list[Fetched]) -> _FreshChunk:
    table = decode_objects(fetched)
    damaged = set(damaged_keys(table))
    return _FreshChunk(
        ids=[obj.id for obj, _ in fetched],
        damaged=[obj.id for obj, _ in fetched if obj.key in damaged],
        bytes_read=sum(len(data) for _, data in fetched),
        records=int(pc.sum(pc.greater(table.column(RECORD_INDEX), DAMAGED)).as_py() or 0),
        table=table,
    )


def rewrite(entry: Path, temp: Path, codec: str) -> None:
    """Write ``entry``'s rows, in their order, to ``temp`` in the current layout with ``codec``."""
    writer = _EntryWriter(temp, codec)
    try:
        with closing(pq.ParquetFile(entry)) as handle:
            for table in _rows_of(handle, None):
                writer.add(table)
        writer.close()
    except BaseException:
        writer.abort()
        raise


@dataclass
class _EntryWriter:
    """Rows in, Parquet row groups of ``ROW_GROUP_ROWS`` out; a zero-row entry still gets its schema."""

    path: Path
    codec: str
    _pending: list[pa.Table] = field(default_factory=list)
    _rows: int = 0
    _writer: pq.ParquetWriter | None = None

    def add(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        if not table.schema.equals(ENTRY_SCHEMA):  # rows of an entry written in an earlier layout
            if CAPTURE_END_TS not in table.schema.names:
                table = with_capture_end(table)
            table = table.cast(ENTRY_SCHEMA)
        self._pending.append(table)
        self._rows += table.num_rows
        while self._rows >= ROW_GROUP_ROWS:
            combined = pa.concat_tables(self._pending)
            self._write(combined.slice(0, ROW_GROUP_ROWS))
            rest = combined.slice(ROW_GROUP_ROWS)
            self._pending, self._rows = [rest], rest.num_rows

    def close(self) -> None:
        if self._rows or self._writer is None:
            self._write(pa.concat_tables(self._pending) if self._pending else empty_entry())
        assert self._writer is not None
        self._writer.close()

    def abort(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self.path.unlink(missing_ok=True)

    def _write(self, table: pa.Table) -> None:
        if self._writer is None:
            self._writer = pq.ParquetWriter(
                self.path,
                ENTRY_SCHEMA,
                compression=self.codec,
                write_statistics=STATISTICS_COLUMNS,
                use_dictionary=DICTIONARY_COLUMNS,
            )
        # One dictionary per column and row group, which the writer stores as it is (~15 % less CPU).
        self._writer.write_table(table.unify_dictionaries(), row_group_size=ROW_GROUP_ROWS)
