"""Write a frame as one Arrow IPC file, from its whole table or from batches encoded as they arrive
(:class:`BatchWriter`): plain for small frames, ZSTD-compressed bodies for big ones.

Why compressed: a big answer is held several times on its way out (the encoded frame, the protobuf
wire bytes, grpcio's own copy while it is sent) and QueryData is unary, so those copies are what the
plugin's memory grows by; flow-log columns (repeated CRNs, addresses, times) shrink several times
under ZSTD. Grafana's SDK reads the record batches of an IPC file with arrow-go, which decompresses
LZ4_FRAME and ZSTD bodies itself (tests/conformance/test_go_decoding.py proves it for our frames).
ZSTD because it makes the smaller frame for little more CPU than LZ4 (W7 in docs/benchmarks.md).
Small frames stay uncompressed: they cost nothing to hold, and compressing would only add CPU.
"""

from __future__ import annotations

import io
import struct

import pyarrow as pa

COMPRESS_FROM_BYTES = 4 << 20
"""Column bytes from which a frame's record batches are compressed."""

CODEC = "zstd"


def ipc_file(table: pa.Table, *, compressible: bool = True) -> bytes:
    """The table as one IPC file, a record batch per chunk, written once into the bytes object returned;
    its bodies compressed when its columns reach :data:`COMPRESS_FROM_BYTES` (unless not ``compressible``).

    Why written this way: a big answer's columns arrive as the engine's batches; writing them as they
    are copies no column. Sizing the output first (a pass that only counts bytes) and writing straight
    into a Python ``bytes`` of that size (through the writable view ``BytesIO`` lends over its own
    buffer, handed back by ``getvalue`` without a copy) means the frame exists once: no growing stream,
    no Arrow buffer copied into ``bytes`` afterwards. A compressed frame is compressed twice for it
    (once to count): that CPU buys the room a growing stream and its copy would take while the result
    table is still held, which is the answer's peak (W7 in docs/benchmarks.md).
    """
    # One thread: compressing a batch's buffers in parallel holds a scratch buffer per thread at the peak.
    compress = compressible and table.nbytes >= COMPRESS_FROM_BYTES
    options = pa.ipc.IpcWriteOptions(compression=CODEC, use_threads=False) if compress else None
    counter = pa.MockOutputStream()
    _write(counter, table, options)
    sink = io.BytesIO(bytes(counter.size()))  # zero pages: memory is taken as the frame is written
    view = sink.getbuffer()
    writer = pa.FixedSizeBufferWriter(pa.py_buffer(view))
    _write(writer, table, options)
    writer.close()
    del writer  # the Arrow buffer over the view goes with it, so the view can be let go
    view.release()  # no view left: getvalue returns the buffer itself
    return sink.getvalue()


def _write(sink: pa.NativeFile, table: pa.Table, options: pa.ipc.IpcWriteOptions | None = None) -> None:
    with pa.ipc.new_file(sink, table.schema, options=options) as writer:
        if table.num_rows:
            writer.write_table(table)


class BatchWriter:
    """A frame's record batches encoded as they arrive, for a frame whose schema metadata (its meta) is known
    only once the last batch is in; :meth:`file` then makes the IPC file of them.

    Why: a big table answer's result table would be held whole beside its frame; encoding each engine
    batch as it comes (compressed once the batches reach :data:`COMPRESS_FROM_BYTES`, as :func:`ipc_file`
    decides for a whole table) holds the encoded bodies and one batch instead. Batches below the
    threshold are kept as they are: a small frame is written by :func:`ipc_file`, exactly as a whole
    table's would be.
    """

    def __init__(self) -> None:
        self._pending: list[pa.RecordBatch] = []  # below the threshold: not encoded yet
        self._pending_bytes = 0
        self._sink: pa.BufferOutputStream | None = None
        self._writer: pa.ipc.RecordBatchStreamWriter | None = None
        self._starts: list[int] = []  # where each encoded batch was written in the sink

    @property
    def held_bytes(self) -> int:
        """What the writer holds now: the batches not encoded yet, the encoded ones."""
        return self._pending_bytes + (self._sink.tell() if self._sink is not None else 0)

    def add(self, batch: pa.RecordBatch) -> None:
        if self._writer is not None:
            self._encode(batch)
            return
        self._pending.append(batch)
        self._pending_bytes += batch.nbytes
        if self._pending_bytes >= COMPRESS_FROM_BYTES:
            self._start(batch.schema)

    def file(self, schema: pa.Schema) -> bytes:
        """The IPC file of the batches added, under ``schema`` (their own fields plus the frame's metadata).

        Big frames are assembled from their encoded batches: the file is the schema message pyarrow
        writes for ``schema``, the batches' messages as encoded, and a footer pyarrow writes for the same
        number of (empty) batches with each batch's place filled in; readers (Grafana's arrow-go,
        pyarrow) find every batch through that footer.
        """
        if self._writer is None:
            pending, self._pending, self._pending_bytes = self._pending, [], 0
            columns = [pa.chunked_array([batch.column(i) for batch in pending], f.type) for i, f in enumerate(schema)]
            return ipc_file(pa.Table.from_arrays(columns, schema=schema), compressible=False)
        assert self._sink is not None
        self._writer.close()  # the stream's end marker: after the last batch, where the footer takes over
        encoded = self._sink.getvalue()
        self._writer = self._sink = None
        return _assemble(schema, encoded, self._starts)

    def _start(self, schema: pa.Schema) -> None:
        options = pa.ipc.IpcWriteOptions(compression=CODEC, use_threads=False)
        self._sink = pa.BufferOutputStream()
        self._writer = pa.ipc.new_stream(self._sink, schema, options=options)
        pending, self._pending, self._pending_bytes = self._pending, [], 0
        for batch in pending:
            self._encode(batch)

    def _encode(self, batch: pa.RecordBatch) -> None:
        assert self._writer is not None and self._sink is not None
        self._starts.append(self._sink.tell())
        self._writer.write_batch(batch)


_BLOCK = struct.Struct("<qi4xq")  # the footer's Block: offset, metadata length, body length
_END_OF_STREAM = b"\xff\xff\xff\xff\0\0\0\0"
_TRAILER = 10  # after the footer: its length (int32) and the closing magic "ARROW1"


def _message_length(data: memoryview, start: int) -> int:
    """The metadata length of the encapsulated IPC message at ``start``: the continuation marker, the
    flatbuffer's length and the (padded) flatbuffer; its body follows."""
    return 8 + int.from_bytes(data[start + 4 : start + 8], "little")


def _assemble(schema: pa.Schema, encoded: pa.Buffer, starts: list[int]) -> bytes:
    """One IPC file: the magic and ``schema``'s message, the batches' messages of ``encoded`` (a stream with
    a batch written at each of ``starts``, ending with the end-of-stream marker) and the footer.

    The stream's schema message goes out with its first batch, so that batch begins after it."""
    template, empty = pa.BufferOutputStream(), pa.RecordBatch.from_arrays([[] for _ in schema], schema=schema)
    with pa.ipc.new_file(template, schema) as writer:
        for _ in starts:
            writer.write_batch(empty)
    shell = template.getvalue().to_pybytes()
    footer_size = int.from_bytes(shell[-_TRAILER : -_TRAILER + 4], "little")
    footer = bytearray(shell[-_TRAILER - footer_size : -_TRAILER])
    blocks = _block_offsets(footer)
    head = _BLOCK.unpack_from(footer, blocks[0])[0]  # the template's first batch: where ours begin
    view = memoryview(encoded)
    body_end = len(encoded) - len(_END_OF_STREAM)  # the stream writer's end marker is written again below
    first = _message_length(view, 0)
    starts = [first, *starts[1:]]
    shift = head - first
    for place, start, end in zip(blocks, starts, [*starts[1:], body_end], strict=True):
        metadata = _message_length(view, start)
        _BLOCK.pack_into(footer, place, start + shift, metadata, end - start - metadata)
    out = io.BytesIO(bytes(head + body_end - first + len(_END_OF_STREAM) + len(footer) + _TRAILER))
    out.write(shell[:head])
    out.write(view[first:body_end])
    out.write(_END_OF_STREAM)
    out.write(footer)
    out.write(shell[-_TRAILER:])
    view.release()
    return out.getvalue()


def _block_offsets(footer: bytearray) -> list[int]:
    """Where each record batch's Block sits in an IPC file footer (a flatbuffer ``Footer`` table: its fourth
    field, ``recordBatches``, is a vector of Block structs)."""
    table = int.from_bytes(footer[0:4], "little")
    vtable = table - int.from_bytes(footer[table : table + 4], "little", signed=True)
    slot = vtable + 4 + 2 * 3  # the vtable: its size and the table's (2 bytes each), then 2 bytes per field
    field_at = int.from_bytes(footer[slot : slot + 2], "little")
    vector = table + field_at + int.from_bytes(footer[table + field_at : table + field_at + 4], "little")
    count = int.from_bytes(footer[vector : vector + 4], "little")
    return [vector + 4 + index * _BLOCK.size for index in range(count)]
