"""Write a frame's table as one Arrow IPC file: plain for small frames, ZSTD-compressed bodies for big ones.

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
