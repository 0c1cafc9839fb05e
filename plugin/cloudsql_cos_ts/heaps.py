"""The C library's threshold from which a block gets pages of its own: held low for answers, raised while ingests run.

Why both: the answers' memory is bounded only if what they free leaves the process, so the plugin holds the
threshold low (``engines/answer_memory.hand_back_big_blocks``). A cold ingest, though, allocates and frees
buffers of a few megabytes all the time (a chunk's texts, DuckDB's documents, Arrow's columns, the Parquet
pages), and with pages of their own each one costs a page fault for every 4 KiB written and a system call to
unmap it; on two cores the unmapping also interrupts the other core. That was about a tenth of a cold panel's
CPU (docs/benchmarks.md). So while any ingest runs the threshold is raised and those buffers are reused from
the C library's heaps; when the last ingest ends it is held low again and the heaps are trimmed, which hands
back what the ingests left free. Answers running meanwhile take their blocks from the heaps too, as they did
before the threshold was held, and the trim hands those back once they are free.

Only glibc has these knobs (``mallopt``, ``malloc_trim``); elsewhere nothing changes. When the operator set the
threshold nothing is held, and the heaps are still trimmed when the last ingest ends.
"""

from __future__ import annotations

import ctypes
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

INGEST_THRESHOLD_BYTES = 32 << 20
"""The threshold while ingests run: the most glibc itself ever raises it to."""

# How much free memory at the top of a heap glibc keeps rather than giving it back at once: raised with the
# threshold, or a thread's heap would still give its top back and fault it in again for the next block. Not as far as
# glibc itself would raise it (twice the threshold): the trim when the last ingest ends does not reach the tops of the
# threads' heaps, so each may keep this much until it next frees a block (docs/benchmarks.md). Afterwards glibc's own
# default again, unless the operator set it (``MALLOC_TRIM_THRESHOLD_``).
_INGEST_TRIM_BYTES = 8 << 20
_DEFAULT_TRIM_BYTES = 128 << 10
_TRIM_VARIABLE = "MALLOC_TRIM_THRESHOLD_"
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters


def _c_library() -> ctypes.CDLL | None:
    library = ctypes.CDLL(None)
    return library if hasattr(library, "mallopt") and hasattr(library, "malloc_trim") else None


_C_LIBRARY = _c_library()


@dataclass
class _Threshold:
    """The process's one threshold: the value held (None: not ours to change) and the ingests running."""

    held: int | None = None
    _ingests: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def hold(self, nbytes: int) -> bool:
        with self._lock:
            if not _set(nbytes):
                return False
            self.held = nbytes
            if self._ingests:  # held while an ingest runs: it takes effect when the last one ends
                _raise()
            return True

    def enter(self) -> None:
        with self._lock:
            self._ingests += 1
            if self._ingests == 1 and self.held is not None:
                _raise()

    def leave(self) -> None:
        with self._lock:
            self._ingests -= 1
            if self._ingests == 0 and _C_LIBRARY is not None:
                if self.held is not None:
                    _set(self.held)
                    _trim_at(_DEFAULT_TRIM_BYTES)
                _C_LIBRARY.malloc_trim(0)


def _set(nbytes: int) -> bool:
    return _C_LIBRARY is not None and bool(_C_LIBRARY.mallopt(_M_MMAP_THRESHOLD, nbytes))


def _raise() -> None:
    _set(INGEST_THRESHOLD_BYTES)
    _trim_at(_INGEST_TRIM_BYTES)


def _trim_at(nbytes: int) -> None:
    if _C_LIBRARY is not None and _TRIM_VARIABLE not in os.environ:
        _C_LIBRARY.mallopt(_M_TRIM_THRESHOLD, nbytes)


_THRESHOLD = _Threshold()


def hold_threshold(nbytes: int) -> bool:
    """Hold the threshold at ``nbytes`` from now on, outside ingests; False (nothing held) where glibc refuses."""
    return _THRESHOLD.hold(nbytes)


@contextmanager
def big_blocks_reused() -> Iterator[None]:
    """While any caller is inside, the threshold is :data:`INGEST_THRESHOLD_BYTES`; the last one out restores
    the held threshold and trims the heaps. Where no threshold is held only the trim is done."""
    _THRESHOLD.enter()
    try:
        yield
    finally:
        _THRESHOLD.leave()
