"""``meta.custom.cache`` of a frame: hit or miss, the entry's age and the range actually queried.

A fresh result gets the object when its frames are built; a served entry's first frame is
re-encoded with ``hit: true`` and its age. Re-encoding reuses the Arrow buffers, so only the
metadata changes; the other frames are returned as stored.
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

from cloudsql_cos_ts.timerange import TimeRange


def cache_meta(*, hit: bool, age_s: float, queried_range: TimeRange) -> dict[str, Any]:
    return {
        "hit": hit,
        "ageSeconds": round(age_s, 3),
        "queriedRange": {"from": queried_range.from_ms, "to": queried_range.to_ms},
    }


def with_cache_meta(frame: bytes, info: dict[str, Any]) -> bytes:
    """``frame`` (Arrow IPC file bytes) with ``meta.custom.cache`` set to ``info``."""
    reader = pa.ipc.open_file(pa.py_buffer(frame))
    schema = reader.schema
    metadata = dict(schema.metadata or {})
    meta = json.loads(metadata.get(b"meta", b"{}"))
    meta.setdefault("custom", {})["cache"] = info
    metadata[b"meta"] = json.dumps(meta, default=str).encode()
    schema = schema.with_metadata(metadata)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, schema) as writer:
        for index in range(reader.num_record_batches):
            writer.write_batch(reader.get_batch(index).replace_schema_metadata(metadata))
    return bytes(sink.getvalue().to_pybytes())
