"""What encoding a frame allocates: the tests that bound an encoder's memory measure it the same way."""

from __future__ import annotations

import tracemalloc

import pyarrow as pa

from cloudsql_cos_ts.frames.encode import encode_frame
from cloudsql_cos_ts.frames.model import Frame


def encode_counting(frame: Frame) -> tuple[bytes, int]:
    """The frame's bytes and the peak of what Python and Arrow allocated while it was encoded."""
    previous = pa.default_memory_pool()
    arrow = pa.proxy_memory_pool(previous)  # counts only what the encoder allocates
    pa.set_memory_pool(arrow)
    tracemalloc.start()
    try:
        data = encode_frame(frame)
        python_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        pa.set_memory_pool(previous)
    return data, python_peak + arrow.max_memory()
