"""Encode a :class:`Frame` as the bytes Grafana's ``data.UnmarshalArrowFrame`` reads.

One frame = one Arrow IPC *file* (not stream), uncompressed; schema metadata ``name``, ``refId``
and ``meta`` (JSON); field metadata ``labels`` and ``config`` (JSON). Types are coerced here, so no
caller can produce a frame that makes Grafana reject the whole response.
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

from cloudsql_cos_ts.frames.coerce import to_grafana_chunks
from cloudsql_cos_ts.frames.model import Frame


def _field_metadata(labels: dict[str, str] | None, config: dict[str, Any] | None) -> dict[bytes, bytes]:
    metadata: dict[bytes, bytes] = {}
    if labels:
        metadata[b"labels"] = json.dumps({str(k): str(v) for k, v in labels.items()}).encode()
    if config:
        metadata[b"config"] = json.dumps(config).encode()
    return metadata


def encode_frame(frame: Frame) -> bytes:
    """Arrow IPC file bytes for one frame."""
    arrays: list[pa.ChunkedArray] = []
    fields: list[pa.Field] = []
    for column in frame.fields:
        coerced = to_grafana_chunks(column.values)
        config = {**(coerced.config or {}), **(column.config or {})} or None
        nullable = column.nullable or coerced.values.null_count > 0
        arrays.append(coerced.values)
        fields.append(
            pa.field(
                column.name, coerced.values.type, nullable=nullable, metadata=_field_metadata(column.labels, config)
            )
        )
    schema_metadata = {b"name": frame.name.encode(), b"refId": frame.ref_id.encode()}
    meta = frame.meta.to_json()
    if meta:
        schema_metadata[b"meta"] = json.dumps(meta, default=str).encode()
    return ipc_file(pa.Table.from_arrays(arrays, schema=pa.schema(fields, metadata=schema_metadata)))


def ipc_file(table: pa.Table) -> bytes:
    """The table as one IPC file, a record batch per chunk, written once into a buffer of its exact size.

    Why: a big answer's columns arrive as the engine's batches; writing them as they are copies no
    column, and sizing the buffer first (a pass that only counts bytes) avoids the growing stream's
    reallocations, which held up to twice the frame while it was written (W7 in docs/benchmarks.md).
    """
    counter = pa.MockOutputStream()
    _write(counter, table)
    buffer = pa.allocate_buffer(counter.size())
    _write(pa.FixedSizeBufferWriter(buffer), table)
    return bytes(buffer.to_pybytes())


def _write(sink: pa.NativeFile, table: pa.Table) -> None:
    with pa.ipc.new_file(sink, table.schema) as writer:
        if table.num_rows:
            writer.write_table(table)
