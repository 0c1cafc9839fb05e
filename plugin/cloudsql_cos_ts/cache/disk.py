"""A diskcache ``Disk`` that stores only bytes values and text keys, and never unpickles.

diskcache pickles any key or value that is not bytes, text or a number, and unpickles whatever a
row's mode says on read. The cache directory is shared by plugin processes and survives restarts,
so a row with a pickle mode (from a bug, or anyone able to write the file) must not reach
``pickle.load``: this disk refuses to write such rows and treats them as unreadable on read, which
diskcache answers as a miss.
"""

from __future__ import annotations

from typing import Any

from diskcache import Disk
from diskcache.core import MODE_BINARY, MODE_RAW, UNKNOWN


class UnsafeCacheRow(OSError):
    """A stored row is not raw bytes; an ``OSError`` so diskcache reports it as a missing value."""


class BytesOnlyDisk(Disk):  # type: ignore[misc]  # diskcache ships no type hints
    """Keys: ``str`` only (our hex digests). Values: ``bytes`` only (packed entries)."""

    def put(self, key: Any) -> tuple[Any, bool]:
        if type(key) is not str:
            raise TypeError("result cache keys are hex digests (str)")
        return super().put(key)  # type: ignore[no-any-return]

    def get(self, key: Any, raw: bool) -> Any:
        if not raw:
            raise UnsafeCacheRow("refusing a pickled key")
        return super().get(key, raw)

    def store(self, value: Any, read: bool, key: Any = UNKNOWN) -> tuple[Any, ...]:
        if type(value) is not bytes:
            raise TypeError("result cache values are packed entries (bytes)")
        return super().store(value, read, key)  # type: ignore[no-any-return]

    def fetch(self, mode: int, filename: str | None, value: Any, read: bool) -> Any:
        if mode not in (MODE_RAW, MODE_BINARY):
            raise UnsafeCacheRow(f"refusing a stored value of mode {mode}")
        return super().fetch(mode, filename, value, read)
