"""Encode a :class:`Frame` as the bytes Grafana's ``data.UnmarshalArrowFrame`` reads.

One frame = one Arrow IPC *file* (not stream; a big frame's bodies compressed, ``frames/ipc.py``);
schema metadata ``name``, ``refId`` and ``meta`` (JSON); field metadata ``labels`` and ``config`` (JSON).
Types are coerced here, so no caller can produce a frame that makes Grafana reject the whole response.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

import pyarrow as pa

from cloudsql_cos_ts.frames.coerce import to_grafana, to_grafana_chunks
from cloudsql_cos_ts.frames.ipc import BatchWriter, ipc_file
from cloudsql_cos_ts.frames.model import Frame


def _field_metadata(labels: dict[str, str] | None, config: dict[str, Any] | None) -> dict[bytes, bytes]:
    metadata: dict[bytes, bytes] = {}
    if labels:
        metadata[b"labels"] = json.dumps({str(k): str(v) for k, v in labels.items()}).encode()
    if config:
        metadata[b"config"] = json.dumps(config).encode()
    return metadata


@dataclass(frozen=True)
class _Column:
    """What a frame's field is once coerced: its Arrow type, the config the coercion adds, whether it has nulls."""

    type: pa.DataType
    config: dict[str, Any] | None
    has_nulls: bool


def _schema(frame: Frame, columns: list[_Column]) -> pa.Schema:
    """The frame's schema: its fields as coerced, with their labels and config, and the frame's metadata."""
    fields = [
        pa.field(
            field.name,
            column.type,
            nullable=field.nullable or column.has_nulls,
            metadata=_field_metadata(field.labels, {**(column.config or {}), **(field.config or {})} or None),
        )
        for field, column in zip(frame.fields, columns, strict=True)
    ]
    schema_metadata = {b"name": frame.name.encode(), b"refId": frame.ref_id.encode()}
    meta = frame.meta.to_json()
    if meta:
        schema_metadata[b"meta"] = json.dumps(meta, default=str).encode()
    return pa.schema(fields, metadata=schema_metadata)


def encode_frame(frame: Frame) -> bytes:
    """Arrow IPC file bytes for one frame."""
    coerced = [to_grafana_chunks(field.values) for field in frame.fields]
    columns = [_Column(c.values.type, c.config, c.values.null_count > 0) for c in coerced]
    return ipc_file(pa.Table.from_arrays([c.values for c in coerced], schema=_schema(frame, columns)))


class StreamedFrame:
    """A table frame whose rows arrive as the engine's record batches: each is coerced and encoded as it comes.

    Why: a big plain table answer (``SELECT *`` over a week) would otherwise be held whole as a result
    table beside its frame; this holds the encoded batches and the batch at hand (``frames/ipc.py``).
    The frame's fields and meta (known once the rows are all in) are given to :meth:`encode` at the end,
    as a frame shaped from the result's schema. Each batch is coerced column by column as
    :func:`encode_frame` coerces a chunk, so both ways make the same frame.
    """

    def __init__(self) -> None:
        self._writer = BatchWriter()
        self._columns: list[_Column] = []

    @property
    def held_bytes(self) -> int:
        """The frame's bytes held so far (encoded, or not yet when still under the compression threshold)."""
        return self._writer.held_bytes

    def add(self, batch: pa.RecordBatch) -> None:
        coerced = [to_grafana(column) for column in batch.columns]
        columns = [_Column(c.values.type, c.config, c.values.null_count > 0) for c in coerced]
        if self._columns:
            columns = [
                replace(seen, has_nulls=seen.has_nulls or now.has_nulls)
                for seen, now in zip(self._columns, columns, strict=True)
            ]
        self._columns = columns
        self._writer.add(pa.RecordBatch.from_arrays([c.values for c in coerced], names=batch.schema.names))

    def encode(self, frame: Frame) -> bytes:
        """The frame's IPC file: ``frame``'s fields and meta over the batches added; a frame whose rows did not
        come as batches (none arrived: an empty result, or an engine that returns whole tables) is
        encoded from its own columns."""
        if not self._columns:
            return encode_frame(frame)
        return self._writer.file(_schema(frame, self._columns))
