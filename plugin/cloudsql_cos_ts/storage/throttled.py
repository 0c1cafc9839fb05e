"""An object store whose requests are spaced to a request rate: background work must not crowd out queries.

A plugin's background work (the flow lake's follower) shares the bucket's request budget, its
connection pool and the network with the queries users wait for, and an object store bills and
throttles by request. Wrapping the stores that work uses in a ``ThrottledStore`` caps its request
rate whatever it does; ``identity`` is the wrapped store's, so caches keyed by it are shared with
the queries' unthrottled store.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.storage.base import Deletion, FileTransfer, Listing, ObjectInfo, ObjectStore


class RequestPacer:
    """Hands out request slots at most ``per_second`` apart, to every thread that shares it."""

    def __init__(self, per_second: float, clock: Callable[[], float] = time.monotonic) -> None:
        if per_second <= 0:
            raise ValueError("per_second must be positive")
        self._gap = 1.0 / per_second
        self._clock = clock
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Block until this caller's slot comes."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self._gap
        if slot > now:
            time.sleep(slot - now)


class ThrottledStore:
    """``store`` with every request waiting for a slot of ``pacer``."""

    def __init__(self, store: ObjectStore, pacer: RequestPacer) -> None:
        self._store, self._pacer = store, pacer

    @property
    def identity(self) -> str:
        return self._store.identity

    def list(self, prefix: str, delimiter: str | None = None) -> Listing:
        self._pacer.wait()
        return self._store.list(prefix, delimiter)

    def get(self, key: str) -> tuple[bytes, str]:
        self._pacer.wait()
        return self._store.get(key)

    def head(self, key: str) -> ObjectInfo:
        self._pacer.wait()
        return self._store.head(key)

    def put(self, key: str, data: bytes) -> None:
        self._pacer.wait()
        self._store.put(key, data)

    def put_file(self, key: str, path: Path) -> None:
        """Streamed when the wrapped store streams (a lake part is a whole day), else as bytes."""
        self._pacer.wait()
        if isinstance(self._store, FileTransfer):
            self._store.put_file(key, path)
        else:
            self._store.put(key, path.read_bytes())

    def get_file(self, key: str, path: Path) -> None:
        self._pacer.wait()
        if isinstance(self._store, FileTransfer):
            self._store.get_file(key, path)
        else:
            path.write_bytes(self._store.get(key)[0])

    def delete(self, key: str) -> None:
        if not isinstance(self._store, Deletion):
            raise BadRequest(f"the store {self.identity} cannot delete objects")
        self._pacer.wait()
        self._store.delete(key)
