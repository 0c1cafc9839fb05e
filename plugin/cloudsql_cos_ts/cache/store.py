"""The bounded on-disk store of packed entries: a diskcache ``FanoutCache`` under the plugin cache dir.

Why diskcache: SQLite in WAL mode makes every entry's row appear atomically, and values above
32 KiB are written to their own file *before* the row that points at them is committed, so a
process killed mid-write leaves at worst an unreferenced file, never a row with a partial value;
the entry checksum covers anything else. The opener makes the directory private (results may hold
sensitive rows). Several plugin processes (Grafana HA on one host) may open
the same directory; SQLite serialises their writes and a lock timeout is answered as a miss.

Entries are tagged with the datasource uid (indexed), which is how one datasource's entries are
cleared. Eviction is least-recently-stored: it keeps reads free of writes (least-recently-used
would write on every hit), and TTLs bound an entry's life anyway. The store is culled *before*
each write: diskcache culls in batches of ten oldest entries, which after the write could remove
the entry just written; so a shard may exceed its share of the limit by one entry until the next
write, and an entry larger than a shard's share is not kept at all.

The newest entries are also kept in memory (:class:`RecentResults`), which is what makes a hit
cheap. A clear must reach the memory of every process sharing the directory: it replaces a marker
file, and each process drops its memory when it sees the marker change (one ``stat`` per lookup).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from diskcache import FanoutCache

from cloudsql_cos_ts import metrics
from cloudsql_cos_ts.cache.disk import BytesOnlyDisk
from cloudsql_cos_ts.cache.entry import CachedResult, CorruptEntry, pack, unpack
from cloudsql_cos_ts.cache.memory import RecentResults
from cloudsql_cos_ts.log import log

SHARDS = 4
LOCK_TIMEOUT_S = 2.0
CLEARED_MARKER = "cleared"


class ResultStore:
    """Packed entries by key, with a TTL per entry, a size limit and a tag per datasource."""

    def __init__(self, directory: Path, size_limit: int, memory_bytes: int) -> None:
        self._marker = directory / CLEARED_MARKER
        self._marker_path = str(self._marker)  # os.stat on a str: this runs on every lookup
        self._marker_seen = self._marker_stamp()
        self._generation = 0  # counts the clears seen, here or elsewhere: what was read before may be gone
        self._recent = RecentResults(memory_bytes)
        self._cache = FanoutCache(
            directory=str(directory),
            shards=SHARDS,
            timeout=LOCK_TIMEOUT_S,
            disk=BytesOnlyDisk,
            size_limit=size_limit,
            eviction_policy="least-recently-stored",
            cull_limit=0,  # culled in put(), where evictions are counted
            tag_index=True,
            statistics=False,
        )
        self._largest_entry = size_limit // SHARDS

    def get(self, key: str) -> CachedResult | None:
        """The entry for ``key``, or None when absent, expired, unreadable or corrupt (then dropped)."""
        self._forget_if_cleared_elsewhere()
        now = time.time()
        recent = self._recent.get(key, now)
        if recent is not None:
            return recent
        found = self._cache.get(key, expire_time=True, tag=True)
        blob, expires_at, tag = found if isinstance(found, tuple) else (None, None, None)  # None: lock timeout
        if blob is None:
            return None
        try:
            if not isinstance(blob, bytes):
                raise CorruptEntry("not bytes")
            result = unpack(blob)
        except CorruptEntry as exc:
            log.warn("dropping a corrupt result cache entry", reason=str(exc))
            metrics.CACHE_EVENTS.labels(event="corrupt").inc()
            self._cache.delete(key)
            return None
        if isinstance(expires_at, float | int) and isinstance(tag, str):
            result.expires_at = float(expires_at)
            self._recent.put(key, result, expires_at=float(expires_at), tag=tag)
        return result

    def put(self, key: str, result: CachedResult, *, ttl_s: int, tag: str, with_table: bool) -> bool:
        """Make room (expired entries, then the oldest beyond the size limit), then store ``result`` for ``ttl_s``."""
        blob = pack(result, with_table=with_table)
        if len(blob) > self._largest_entry:
            metrics.CACHE_EVENTS.labels(event="too_large").inc()
            return False
        expired = self._cache.expire()
        evicted = self._cache.cull()
        if expired:
            metrics.CACHE_EVENTS.labels(event="expired").inc(expired)
        if evicted:
            metrics.CACHE_EVENTS.labels(event="evicted").inc(evicted)
        expires_at = time.time() + ttl_s
        stored = bool(self._cache.set(key, blob, expire=ttl_s, tag=tag))
        if stored:
            metrics.CACHE_EVENTS.labels(event="stored").inc()
            result.expires_at = expires_at
            self._recent.put(key, result, expires_at=expires_at, tag=tag)
        return stored

    def clear_datasource(self, uid: str) -> int:
        """Remove every entry of one datasource, here and in the memory of every process; returns how many."""
        self._recent.drop_tag(uid)
        self._generation += 1
        removed = int(self._cache.evict(uid))
        self._announce_clear()
        metrics.CACHE_EVENTS.labels(event="cleared").inc(removed)
        return removed

    def release_thread(self) -> None:
        """Close the calling thread's SQLite connections (diskcache opens one per thread and shard).

        A run of the single flight has a thread of its own; without this, each miss left two open
        files per shard until the garbage collector happened to free them, and a busy plugin
        climbed towards its descriptor limit. The next use from any thread reopens as needed.
        """
        self._cache.close()

    def _marker_stamp(self) -> tuple[int, int] | None:
        try:
            stat = os.stat(self._marker_path)
        except OSError:
            return None
        return stat.st_ino, stat.st_mtime_ns

    def _announce_clear(self) -> None:
        """Replace the marker (a new inode each time, so even two clears within a clock tick differ)."""
        handle, temporary = tempfile.mkstemp(dir=self._marker.parent, prefix=f".{CLEARED_MARKER}-")
        os.close(handle)
        os.replace(temporary, self._marker)
        self._marker_seen = self._marker_stamp()

    def _forget_if_cleared_elsewhere(self) -> None:
        stamp = self._marker_stamp()
        if stamp != self._marker_seen:
            self._marker_seen = stamp
            self._generation += 1
            self._recent.clear()

    def generation(self) -> int:
        """Changes with every clear of this store, made here or by another process on the directory."""
        self._forget_if_cleared_elsewhere()
        return self._generation

    def volume(self) -> int:
        """Bytes on disk (SQLite pages plus value files)."""
        return int(self._cache.volume())

    def close(self) -> None:
        self._cache.close()
