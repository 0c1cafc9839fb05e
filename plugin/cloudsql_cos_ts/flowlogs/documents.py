"""Flow-log object bodies (gzip JSON documents) into one Arrow row per document, with the known schema.

Two readers, one meaning. The native decoder (``native.py``) reads the clean documents, which are nearly all
of them, for a fraction of the CPU; DuckDB's C++ JSON reader (``json_transform`` over the texts as one string
column, straight into the typed struct, on the calling thread) is the reference: it reads every body the native
decoder declines (an odd value, several gzip members, text that is no JSON) and decides which bodies are
damaged, so each odd case keeps the one reading it always had. DuckDB was chosen over ``pyarrow.json``, which
took clearly more CPU (docs/benchmarks.md) and crashed the process on a body that is the JSON literal ``null``.

Values are read the way IBM SQL Query's Spark read them with a schema (PERMISSIVE): a field the
document lacks, or whose value does not fit its type, is NULL; unknown fields are ignored. A body
is *damaged* when it is not gzip (nor plain text), not UTF-8, not one JSON document, or not a
flow-log document at all (none of ``flow_logs``, ``version`` and the capture times: the rule the
Spark engine applies too).
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Callable, Sequence
from typing import cast

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from isal import igzip, isal_zlib

from cloudsql_cos_ts.errors import InternalError
from cloudsql_cos_ts.flowlogs.native import flow_log_decoder
from cloudsql_cos_ts.flowlogs.schema import HEADER_JSON, RECORD_MEMBERS

# gunzip is ISA-L's (``isal``): the same gzip format (members, checksums) and errors as the standard library's
# for clearly less CPU, and it is a large part of a cold scan (docs/benchmarks.md). Its stubs type the function
# as untyped and the error class as an instance, so both are named here once with their real types.
_gunzip: Callable[[bytes], bytes] = igzip.decompress
_INFLATE_ERROR = cast(type[Exception], isal_zlib.error)
_GZIP_WBITS = 31  # zlib's window bits for a gzip wrapper (header and trailer checked)

# The document's structure in json_transform's terms: DuckDB type names by field, records as a list.
_STRUCTURE = json.dumps({**dict(HEADER_JSON), "flow_logs": [dict(RECORD_MEMBERS)]})
# What every flow-log document has at least one of; a body with none of them is no flow-log document.
_IDENTIFYING = ("flow_logs", "version", "capture_start_time", "capture_end_time")

# One small database for all decoding threads, each query on its own cursor: a cursor costs little, a
# database much more. One thread per query: the ingest already decodes several hours side by side, and a
# query's own helper threads only add CPU. Nothing outside the registered bodies is readable, and
# nothing is ever written to disk (no temporary folder: a projection of one hour's bodies never spills).
# Times without an offset are UTC, as in the plugin process (``timerange.force_utc``) whose views parse them.
# Opened at the first decode, not at import: every plugin process imports this module with the DuckDB engine,
# and only one that decodes objects needs the database.
_DATABASE_LOCK = threading.Lock()


@functools.cache
def _database() -> duckdb.DuckDBPyConnection:
    database = duckdb.connect(
        ":memory:",
        config={
            "threads": 1,
            "enable_external_access": False,
            "temp_directory": "",
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        },
    )
    database.execute("SET GLOBAL TimeZone = 'UTC'")
    return database


def _cursor() -> duckdb.DuckDBPyConnection:
    with _DATABASE_LOCK:  # also makes the first call open the one database
        return _database().cursor()


def body_text(data: bytes) -> bytes | None:
    """The object's JSON text (gunzipped unless stored plain); None when the gzip is damaged."""
    if data[:2] != b"\x1f\x8b":
        return data
    try:
        return _one_member(data)
    except (OSError, EOFError, _INFLATE_ERROR):
        return None


def _one_member(data: bytes) -> bytes:
    """``data`` gunzipped, through one inflate call for the usual single-member object.

    A cold scan gunzips every object, and the gzip module's reader costs a fifth more CPU than one
    inflate call on an object of a few kilobytes. Anything else than one complete member (several
    members, padding, a cut object) goes to that reader, so every object reads and fails as before.
    """
    inflater = isal_zlib.decompressobj(_GZIP_WBITS)
    text: bytes = inflater.decompress(data)
    return text if inflater.eof and not inflater.unused_data else _gunzip(data)


def read_documents(bodies: Sequence[bytes]) -> tuple[pa.Table, pa.BooleanArray]:
    """One row per object body (gzip or plain JSON) with the header fields and ``flow_logs``, and which are damaged.

    A damaged body's row is all NULL. The native decoder reads the bodies it can read exactly; DuckDB reads
    the ones it declines and the ones it found to be no flow-log document, so every odd body gets DuckDB's
    reading (and only DuckDB calls a body damaged).
    """
    decoder = flow_log_decoder()
    decoded = decoder.decode(bodies) if decoder is not None else None
    if decoded is None:
        return _read_texts([body_text(body) for body in bodies])
    array, declined = decoded
    documents = _fields_as_columns(array)
    again = np.flatnonzero(declined | _as_numpy(_damaged(documents)))
    if not len(again):
        return documents, pa.repeat(pa.scalar(False), len(bodies))
    others, others_damaged = _read_texts([body_text(bodies[index]) for index in again.tolist()])
    if len(again) == len(bodies):
        return others, others_damaged
    kept = np.setdiff1d(np.arange(len(bodies)), again, assume_unique=True)
    order = np.argsort(np.concatenate([kept, again]), kind="stable")
    merged = pa.concat_tables([documents.take(kept), others]).take(order)
    damaged = np.zeros(len(bodies), np.bool_)
    damaged[again] = _as_numpy(others_damaged)
    return merged, pa.array(damaged)


def _as_numpy(flags: pa.BooleanArray) -> np.ndarray:
    """Booleans without nulls as a numpy array, through their bytes: ``to_numpy`` of a boolean array goes
    through Arrow's pandas layer, which imports pandas wherever it is installed (docs/benchmarks.md)."""
    as_bytes = flags.cast(pa.uint8())
    return np.frombuffer(as_bytes.buffers()[1], np.uint8, len(as_bytes), as_bytes.offset).astype(np.bool_)


def _read_texts(texts: Sequence[bytes | None]) -> tuple[pa.Table, pa.BooleanArray]:
    """:func:`read_documents` by DuckDB's reader, for texts (None: a body that was not gzip)."""
    block = _JOIN_BLOCKS.take(sum(len(text) for text in texts if text))
    try:
        return _read(_strings(texts, block))
    finally:
        _JOIN_BLOCKS.give(block)  # nothing returned refers to it: DuckDB's answer is its own memory


def _read(strings: pa.LargeStringArray) -> tuple[pa.Table, pa.BooleanArray]:
    try:
        documents = _transform(strings)
    except duckdb.Error:  # some text is not one JSON document: leave the invalid ones out, once
        strings = _valid_json(strings)
        try:
            documents = _transform(strings)
        except duckdb.Error as error:
            raise InternalError(f"valid JSON documents failed to decode: {error}") from error
    damaged = _damaged(documents)
    if pc.any(pc.and_(damaged, pc.is_valid(strings))).as_py():  # JSON but no flow-log document: keep none of it
        documents = _transform(pc.if_else(damaged, pa.scalar(None, pa.large_string()), strings))
    return documents, damaged


def _damaged(documents: pa.Table) -> pa.BooleanArray:
    missing = [pc.is_null(one_array(documents.column(name))) for name in _IDENTIFYING]
    return cast(pa.BooleanArray, functools.reduce(pc.and_, missing))


class _JoinBlocks:
    """Blocks for a chunk's texts joined, kept between chunks instead of allocated for each.

    Why: a chunk's texts are larger than the heaps' trim threshold while ingests run (``heaps.py``), so a
    fresh block per chunk was handed back to the system when freed and faulted in again page by page for
    the next chunk: a large share of a cold panel's page faults (docs/benchmarks.md). Each
    decoding thread takes a block and gives it back; :func:`release_join_blocks` drops the idle ones once
    the ingest jobs are done, so a block lives no longer than the ingests that use it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: list[np.ndarray] = []

    def take(self, nbytes: int) -> np.ndarray:
        with self._lock:
            block = self._idle.pop() if self._idle else None
        if block is None or len(block) < nbytes:
            block = np.empty(nbytes + nbytes // 4, np.uint8)  # room for a somewhat larger next chunk
        return block

    def give(self, block: np.ndarray) -> None:
        with self._lock:
            self._idle.append(block)

    def release(self) -> None:
        with self._lock:
            self._idle.clear()


_JOIN_BLOCKS = _JoinBlocks()


def release_join_blocks() -> None:
    """Drop the idle blocks of :class:`_JoinBlocks` (the memory goes back with the heaps' trim)."""
    _JOIN_BLOCKS.release()


def _strings(texts: Sequence[bytes | None], block: np.ndarray) -> pa.LargeStringArray:
    """The texts as one string array over ``block`` (NULL for None); a text that is not UTF-8 becomes NULL.

    Built from the texts copied into ``block`` and their offsets, then checked for UTF-8 in place: converting a
    binary array to strings copies every byte once more, which costs more than the join itself.
    """
    present = [text or b"" for text in texts]
    offsets = np.zeros(len(present) + 1, np.int64)
    np.cumsum(np.fromiter(map(len, present), np.int64, len(present)), out=offsets[1:])
    into = block.data
    for start, end, text in zip(offsets[:-1].tolist(), offsets[1:].tolist(), present, strict=True):
        into[start:end] = text
    valid = np.fromiter((text is not None for text in texts), np.bool_, len(texts))
    nulls = None if valid.all() else pa.py_buffer(np.packbits(valid, bitorder="little"))
    strings = pa.LargeStringArray.from_buffers(
        len(present), pa.py_buffer(offsets), pa.py_buffer(block[: int(offsets[-1])]), nulls
    )
    try:
        strings.validate(full=True)
    except pa.ArrowInvalid:
        return cast(pa.LargeStringArray, pa.array([_utf8_or_none(text) for text in texts], pa.large_string()))
    return strings


def _utf8_or_none(text: bytes | None) -> str | None:
    try:
        return text.decode() if text is not None else None
    except UnicodeDecodeError:
        return None


def _valid_json(strings: pa.LargeStringArray) -> pa.LargeStringArray:
    """``strings`` with each one that is not a single JSON document replaced by NULL."""
    with _cursor() as cursor:
        valid = cursor.from_arrow(pa.table({"body": strings})).select("json_valid(body) AS valid").to_arrow_table()
    return cast(pa.LargeStringArray, pc.if_else(pc.fill_null(valid.column("valid"), False), strings, None))


def _transform(strings: pa.LargeStringArray) -> pa.Table:
    """The documents' fields as columns (NULL for a NULL string); DuckDB's error when some string is no JSON."""
    with _cursor() as cursor:
        result = (
            cursor.from_arrow(pa.table({"body": strings}))
            .select(f"json_transform(body, '{_STRUCTURE}') AS document")
            .to_arrow_table()
        )
    if result.num_rows != len(strings):
        raise InternalError("the JSON reader returned another number of documents than it was given")
    return _fields_as_columns(one_array(result.column("document")))


def _fields_as_columns(documents: pa.StructArray) -> pa.Table:
    """One column per field of the documents (a NULL document's row is NULL in every column), as both readers
    hand them over."""
    return pa.Table.from_arrays(documents.flatten(), names=[field.name for field in documents.type])


def utc_moments(texts: pa.Array) -> pa.Array:
    """Time strings as naive UTC timestamps, parsed exactly as the DuckDB views parse ``capture_end_time``
    (``TRY_CAST`` to a zoned timestamp): a value that is no time, or empty, is NULL, as there."""
    with _cursor() as cursor:
        result = (
            cursor.from_arrow(pa.table({"text": texts}))
            .select("timezone('UTC', TRY_CAST(text AS TIMESTAMPTZ)) AS moment")
            .to_arrow_table()
        )
    return one_array(result.column("moment")).cast(pa.timestamp("us"))


def one_array(column: pa.ChunkedArray) -> pa.Array:
    """``column`` as one array, its only chunk itself when it has one.

    Why: ``combine_chunks`` copies even a single chunk, and a chunk's decoded documents (one chunk as DuckDB
    returns them) were copied whole twice that way, in fresh pages each time (docs/benchmarks.md).
    """
    return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
