"""The native document decoder (``native/flowdecode.cpp``): gzip JSON bodies into Arrow in one call per chunk.

Why: decoding is most of a cold scan's CPU, and the native decoder (libdeflate's inflate, simdjson's parse,
the known structure written straight into Arrow buffers) takes a fraction of what DuckDB's ``json_transform``
takes for the same documents (docs/benchmarks.md). It reads only what it can read exactly and *declines* the
rest (see the source's header); ``documents.py`` reads those with DuckDB, the reference for every odd value.

The library is built by ``scripts/build_native.sh`` next to this module (and frozen into the bundle). A tree
without it decodes everything with DuckDB, slower, and says so once in the log.
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa

from cloudsql_cos_ts.errors import InternalError
from cloudsql_cos_ts.flowlogs.schema import HEADER_JSON, RECORD_MEMBERS
from cloudsql_cos_ts.log import log

LIBRARY = Path(__file__).with_name("libflowdecode.so")
UNAVAILABLE = "native flow-log decoder not available: objects are decoded with DuckDB, slower"
# The scalar kinds the decoder writes: DuckDB's type name → the decoder's code and the Arrow type.
_KINDS = {"VARCHAR": 0, "INTEGER": 1, "BIGINT": 2, "BOOLEAN": 3}
ARROW_TYPES = {"VARCHAR": pa.string(), "INTEGER": pa.int32(), "BIGINT": pa.int64(), "BOOLEAN": pa.bool_()}


class _ArrowArray(ctypes.Structure):
    """Arrow's C data interface ``struct ArrowArray``: the decoder fills it, pyarrow takes it over."""

    _fields_ = [
        ("length", ctypes.c_int64),
        ("null_count", ctypes.c_int64),
        ("offset", ctypes.c_int64),
        ("n_buffers", ctypes.c_int64),
        ("n_children", ctypes.c_int64),
        ("buffers", ctypes.c_void_p),
        ("children", ctypes.c_void_p),
        ("dictionary", ctypes.c_void_p),
        ("release", ctypes.c_void_p),
        ("private_data", ctypes.c_void_p),
    ]


class Decoder:
    """Documents of one structure: scalar header fields and one list of records with scalar fields.

    The native decoder it makes lives as long as the process (one per structure, see :func:`flow_log_decoder`).
    """

    def __init__(
        self,
        library: ctypes.CDLL,
        header: Sequence[tuple[str, str]],
        list_name: str,
        record: Sequence[tuple[str, str]],
    ) -> None:
        self._decode = library.cct_decode
        self._decode.restype = ctypes.c_int
        self._decode.argtypes = [
            ctypes.c_void_p,
            ctypes.POINTER(ctypes.c_char_p),
            ctypes.POINTER(ctypes.c_int64),
            ctypes.c_int64,
            ctypes.POINTER(_ArrowArray),
            ctypes.POINTER(ctypes.c_uint8),
        ]
        new = library.cct_decoder_new
        new.restype = ctypes.c_void_p
        handle = new(*_fields(header), list_name.encode(), *_fields(record))
        if not handle:
            raise InternalError("the native decoder refused the flow-log structure")
        self._handle = ctypes.c_void_p(handle)
        record_type = pa.struct([pa.field(name, ARROW_TYPES[kind]) for name, kind in record])
        self.type = pa.struct(
            [pa.field(name, ARROW_TYPES[kind]) for name, kind in header]
            + [pa.field(list_name, pa.list_(pa.field("l", record_type)))]
        )

    def decode(self, bodies: Sequence[bytes]) -> tuple[pa.StructArray, np.ndarray] | None:
        """One row per body and which bodies it declined (their rows are NULL); runs without the GIL.

        None when the decoder failed (it could not allocate its columns): the caller reads the chunk its own way.
        """
        count = len(bodies)
        pointers = (ctypes.c_char_p * count)(*bodies)
        sizes = (ctypes.c_int64 * count)(*map(len, bodies))
        declined = np.zeros(count, np.uint8)
        flags = declined.ctypes.data_as(ctypes.POINTER(ctypes.c_uint8))
        out = _ArrowArray()
        status = self._decode(self._handle, pointers, sizes, count, ctypes.byref(out), flags)
        if status != 0:
            log.warn("the native flow-log decoder failed on a chunk: it is decoded with DuckDB", objects=count)
            return None
        array = pa.Array._import_from_c(ctypes.addressof(out), self.type)
        return array, declined.astype(np.bool_)


_Fields = tuple[ctypes.Array[ctypes.c_char_p], ctypes.Array[ctypes.c_int8], ctypes.c_int64]


def _fields(fields: Sequence[tuple[str, str]]) -> _Fields:
    """The names, kinds and count of ``fields`` as the decoder's constructor takes them."""
    names = (ctypes.c_char_p * len(fields))(*(name.encode() for name, _ in fields))
    kinds = (ctypes.c_int8 * len(fields))(*(_KINDS[kind] for _, kind in fields))
    return names, kinds, ctypes.c_int64(len(fields))


@functools.cache
def flow_log_decoder() -> Decoder | None:
    """The decoder for flow-log documents, or None (logged once) when the library was not built."""
    try:
        library = ctypes.CDLL(str(LIBRARY))
    except OSError as error:
        log.warn(UNAVAILABLE, error=str(error))
        return None
    return Decoder(library, HEADER_JSON, "flow_logs", RECORD_MEMBERS)
