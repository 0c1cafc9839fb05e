"""The ingest cache: each flow-log object is downloaded and parsed once, into consolidated Parquet.

Objects are immutable per (key, ETag), but thousands of tiny Parquet files make DuckDB slow, so an
entry holds *all* ingested objects of one source hour (all vNICs): ``<root>/<group>/<hash>.parquet``
where ``<group>`` hashes (store, prefix, hour) and ``<hash>`` hashes the entry's sorted
(key, ETag) list. When a query needs objects of that hour the entry lacks (the current hour grows,
or an earlier query selected only part of the hour), a new entry = old rows still listed + the new
objects is written; old objects are never downloaded again.

Safety:
* an entry is written to ``.tmp-*`` in its group folder and renamed into place; readers only
  consider names ``<64 hex>.parquet``, so a half-written entry is never read;
* building a group holds an exclusive ``flock`` on the group's ``.lock`` (threads and processes);
* the in-memory index is a hint: an entry's file is checked on use and re-read from disk after a
  restart (its (key, ETag) list comes from the file itself);
* size is bounded: after a build, least-recently-used entries (file mtime, touched on use) are
  deleted until the total is under the limit, sparing the current query's and recently used ones;
* different groups are independent, so one query may build several at once (``parallel.py``):
  gunzip, ``pyarrow.json`` and the Parquet writer release the GIL, so hours decode side by side.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.flowlogs.decode import ETAG, KEY, SourceObject, decode_objects
from cloudsql_cos_ts.flowlogs.fetch import fetch_objects, raise_if_cancelled
from cloudsql_cos_ts.storage.base import ObjectStore

_ENTRY_RE = re.compile(r"^[0-9a-f]{64}\.parquet$")
RECENT_USE_S = 60.0  # entries used this recently are never evicted (a running query may read them)
STALE_TEMP_S = 600.0  # a temp file this old belongs to a writer that died (an hour is written in seconds)
Manifest = frozenset[tuple[str, str]]


@dataclass
class IngestStats:
    objects_read: int = 0
    objects_cached: int = 0
    bytes_read: int = 0
    entries_written: int = 0

    def absorb(self, other: IngestStats) -> None:
        """Add another job's counts (each parallel job counts on its own, so no counter is shared)."""
        self.objects_read += other.objects_read
        self.objects_cached += other.objects_cached
        self.bytes_read += other.bytes_read
        self.entries_written += other.entries_written


@dataclass(frozen=True)
class Entry:
    path: Path
    manifest: Manifest


def manifest_hash(manifest: Manifest) -> str:
    digest = hashlib.sha256()
    for key, etag in sorted(manifest):
        digest.update(f"{key}\0{etag}\n".encode())
    return digest.hexdigest()


@dataclass
class IngestCache:
    """Consolidated Parquet entries below ``root``, at most ``max_bytes`` in total."""

    root: Path
    max_bytes: int
    _index: dict[Path, Entry] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)

    def group_dir(self, store: ObjectStore, prefix: str, group: str) -> Path:
        name = hashlib.sha256(f"{store.identity}\0{prefix}\0{group}".encode()).hexdigest()[:40]
        return self.root / name

    def entry_for(
        self,
        store: ObjectStore,
        group_dir: Path,
        *,
        listed: list[SourceObject],
        needed: list[SourceObject],
        cancel: CancelToken,
        stats: IngestStats,
    ) -> Path:
        """An entry holding every ``needed`` object and nothing that is no longer ``listed``."""
        hit = self.cached_entry(group_dir, listed=listed, needed=needed, stats=stats)
        if hit is not None:
            return hit
        listed_ids = {(o.key, o.etag) for o in listed}
        needed_ids = {(o.key, o.etag) for o in needed}
        group_dir.mkdir(parents=True, exist_ok=True)
        with _group_lock(group_dir):
            entry = self._current(group_dir, reload=True)
            manifest = entry.manifest if entry else frozenset()
            if entry is not None and needed_ids <= manifest <= listed_ids:
                stats.objects_cached += len(needed_ids)
                return self._touch(entry.path)
            kept = manifest & listed_ids
            missing = [o for o in needed if (o.key, o.etag) not in kept]
            stats.objects_cached += len(needed_ids & kept)
            fetched = list(fetch_objects(store, missing, cancel))
            stats.objects_read += len(fetched)
            stats.bytes_read += sum(len(data) for _, data in fetched)
            fresh = decode_objects(fetched)
            raise_if_cancelled(cancel)
            parts = [fresh]
            if entry is not None and kept:
                old = pq.read_table(entry.path)
                keep_mask = pa.array([(k, e) in kept for k, e in zip(old[KEY].to_pylist(), old[ETAG].to_pylist(),
                                                                      strict=True)])
                parts.insert(0, old.filter(keep_mask))
            new_manifest = kept | frozenset((obj.key, obj.etag) for obj, _ in fetched)
            path = self._write(group_dir, pa.concat_tables(parts), new_manifest)
            stats.entries_written += 1
            with self._lock:
                self._index[group_dir] = Entry(path, new_manifest)
            return path

    def cached_entry(
        self, group_dir: Path, *, listed: list[SourceObject], needed: list[SourceObject], stats: IngestStats
    ) -> Path | None:
        """The entry ``entry_for`` would return, if it exists already (no lock, no thread, no build)."""
        entry = self._current(group_dir)
        if entry is None:
            return None
        needed_ids = {(o.key, o.etag) for o in needed}
        if needed_ids <= entry.manifest <= {(o.key, o.etag) for o in listed}:
            stats.objects_cached += len(needed_ids)
            return self._touch(entry.path)
        return None

    def _current(self, group_dir: Path, reload: bool = False) -> Entry | None:
        with self._lock:
            entry = self._index.get(group_dir)
        if entry is not None and not reload and entry.path.exists():
            return entry
        entry = _newest_on_disk(group_dir)
        with self._lock:
            if entry is None:
                self._index.pop(group_dir, None)
            else:
                self._index[group_dir] = entry
        return entry

    @staticmethod
    def _touch(path: Path) -> Path:
        """Mark as recently used (mtime drives LRU); skipped when already fresh."""
        try:
            if time.time() - path.stat().st_mtime > RECENT_USE_S / 2:
                os.utime(path)
        except FileNotFoundError:
            pass
        return path

    @staticmethod
    def _write(group_dir: Path, table: pa.Table, manifest: Manifest) -> Path:
        final = group_dir / f"{manifest_hash(manifest)}.parquet"
        temp = group_dir / f".tmp-{os.getpid()}-{threading.get_ident()}.parquet"
        try:
            pq.write_table(table, temp, compression="zstd", row_group_size=256 * 1024)
            os.replace(temp, final)
        finally:
            temp.unlink(missing_ok=True)
        return final

    def evict(self, protect: Iterable[Path] = ()) -> int:
        """Delete least-recently-used entries until under ``max_bytes``; returns how many went.

        Temp files of writers that were killed mid-write are deleted here too, once old enough that no
        live writer can still own them.
        """
        _delete_stale_temps(self.root)
        protected = {p.resolve() for p in protect}
        entries = sorted(_all_entries(self.root), key=lambda item: item[1].st_mtime)
        total = sum(stat.st_size for _, stat in entries)
        removed, now = 0, time.time()
        for path, stat in entries:
            if total <= self.max_bytes:
                break
            if path.resolve() in protected or now - stat.st_mtime < RECENT_USE_S:
                continue
            path.unlink(missing_ok=True)
            total -= stat.st_size
            removed += 1
        if removed:
            with self._lock:
                self._index = {g: e for g, e in self._index.items() if e.path.exists()}
        return removed

    def total_bytes(self) -> int:
        return sum(stat.st_size for _, stat in _all_entries(self.root))


def _all_entries(root: Path) -> Iterator[tuple[Path, os.stat_result]]:
    for group in root.iterdir():
        if not group.is_dir():
            continue
        for path in group.iterdir():
            if _ENTRY_RE.match(path.name):
                try:
                    yield path, path.stat()
                except FileNotFoundError:
                    continue


def _delete_stale_temps(root: Path) -> None:
    cutoff = time.time() - STALE_TEMP_S
    for temp in root.glob("*/.tmp-*"):
        with contextlib.suppress(FileNotFoundError):
            if temp.stat().st_mtime < cutoff:
                temp.unlink()


def _newest_on_disk(group_dir: Path) -> Entry | None:
    """The most recently used complete entry of a group (after a restart, or another process's)."""
    if not group_dir.is_dir():
        return None
    candidates = sorted(
        (p for p in group_dir.iterdir() if _ENTRY_RE.match(p.name)), key=lambda p: p.stat().st_mtime, reverse=True
    )
    for path in candidates:
        try:
            ids = pq.read_table(path, columns=[KEY, ETAG])
        except (OSError, pa.ArrowInvalid):
            path.unlink(missing_ok=True)  # unreadable: never serve it
            continue
        manifest = frozenset(zip(ids[KEY].to_pylist(), ids[ETAG].to_pylist(), strict=True))
        if manifest_hash(manifest) == path.name.removesuffix(".parquet"):
            return Entry(path, manifest)
        path.unlink(missing_ok=True)
    return None


@contextmanager
def _group_lock(group_dir: Path) -> Iterator[None]:
    with (group_dir / ".lock").open("a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

