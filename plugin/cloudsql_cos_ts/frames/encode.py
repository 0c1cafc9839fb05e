"""Encode a :class:`Frame` as the bytes Grafana's ``data.UnmarshalArrowFrame`` reads.

One frame = one Arrow IPC *file* (not stream; a big frame's bodies compressed, ``frames/ipc.py``);
schema metadata ``name``, ``refId`` and ``meta`` (JSON); field metadata ``labels`` and ``config`` (JSON).
Types are coerced here, so no caller can produce a frame that makes Grafana reject the whole response.
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

from cloudsql_cos_ts.frames.coerce import to_grafana_chunks
from cloudsql_cos_ts.frames.ipc import ipc_file
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
