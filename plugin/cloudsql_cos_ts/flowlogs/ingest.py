"""The ingest cache: each flow-log object is downloaded and parsed once, into consolidated Parquet.

Objects are immutable per (key, ETag), but thousands of tiny Parquet files make DuckDB slow, so an
entry holds *all* ingested objects of one group: a source hour (all vNICs), or a whole settled day
(``groups.py`` decides which). An entry is ``<root>/<group>/<hash>.parquet`` where ``<group>``
hashes (store, prefix, group name) and ``<hash>`` hashes the entry's sorted (key, ETag) list. When
a query needs objects the group's entry lacks (the current hour grows, an earlier query selected
only part of the hour, an object of a compacted day changed), a new entry is assembled
(``assemble.py``): rows of objects that existing entries hold (the group's own, and the related
hour or day entries passed as donors) are copied, and only the other objects are downloaded.

Safety:
* an entry is written to ``.tmp-*`` in its group folder and renamed into place; readers only
  consider names ``<64 hex>.parquet``, so a half-written entry is never read;
* building a group holds an exclusive ``flock`` on the group's ``.lock`` (threads and processes);
  donors are only read (entries are immutable), so no other group's lock is needed;
* the in-memory index is a hint: an entry's file is checked on use and re-read from disk after a
  restart (its (key, ETag) list comes from the file itself);
* size is bounded: after a build, least-recently-used entries (file mtime, touched on use) of any
  group, hour or day, are deleted until the total is under the limit, sparing the current query's
  and recently used ones;
* an entry may have companions: files derived from its rows (``companion_path``), counted in its
  size and deleted with it; the spans of runs of day entries (``spans.py``) live in a folder of their
  own, named like entries, so they are counted and evicted as entries are;
* different groups are independent, so one query may build several at once (``parallel.py``):
  gunzip, DuckDB's JSON reader and the Parquet writer release the GIL, so groups decode side by side.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.flowlogs.assemble import Entry, assemble
from cloudsql_cos_ts.flowlogs.decode import (
    DAMAGED,
    ETAG,
    KEY,
    RECORD_INDEX,
    Manifest,
    SourceObject,
    empty_entry,
    object_ids,
)
from cloudsql_cos_ts.storage.base import ObjectStore

_ENTRY_RE = re.compile(r"^[0-9a-f]{64}\.parquet$")
_COMPANION_RE = re.compile(r"^([0-9a-f]{64})\.[0-9a-z-]+\.parquet$")
RECENT_USE_S = 60.0  # entries used this recently are never evicted (a running query may read them)
STALE_TEMP_S = 600.0  # a temp file this old belongs to a writer that died (a day is written in seconds)


@dataclass
class IngestStats:
    objects_read: int = 0
    objects_cached: int = 0
    bytes_read: int = 0
    records_decoded: int = 0
    entries_written: int = 0
    lake_parts: int = 0  # flow-lake parts downloaded (whole days, or donors of one)
    lake_bytes: int = 0

    def absorb(self, other: IngestStats) -> None:
        """Add another job's counts (each parallel job counts on its own, so no counter is shared)."""
        self.objects_read += other.objects_read
        self.objects_cached += other.objects_cached
        self.bytes_read += other.bytes_read
        self.records_decoded += other.records_decoded
        self.entries_written += other.entries_written
        self.lake_parts += other.lake_parts
        self.lake_bytes += other.lake_bytes


def manifest_hash(manifest: Manifest) -> str:
    digest = hashlib.sha256()
    for item in sorted(manifest):  # "<key>\0<ETag>" sorts as the (key, ETag) pairs: \0 sorts first
        digest.update(f"{item}\n".encode())
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
        donors: Sequence[Path] = (),
        more_sources: Callable[[], Sequence[Entry]] = tuple,
    ) -> Path:
        """An entry holding every ``needed`` object and nothing that is no longer ``listed``.

        ``donors`` are other groups whose entries may hold rows of these objects (copied, not downloaded);
        ``more_sources`` gives further entries outside the cache (a flow-lake part), asked only when an
        entry has to be built, since getting them may cost a download.
        """
        listed_ids, needed_ids = object_ids(listed), object_ids(needed)
        hit = self.cached_entry(group_dir, listed_ids=listed_ids, needed_ids=needed_ids, stats=stats)
        if hit is not None:
            return hit
        group_dir.mkdir(parents=True, exist_ok=True)
        with group_lock(group_dir):
            entry = self.current(group_dir, reload=True)
            if (served := self._serving(entry, listed_ids=listed_ids, needed_ids=needed_ids, stats=stats)) is not None:
                return served
            sources = [e for e in (entry, *(self.current(d) for d in donors)) if e is not None]
            sources += more_sources()
            built = assemble(store, group_dir, listed=listed, needed=needed, sources=sources, cancel=cancel)
            stats.objects_cached += built.copied
            stats.objects_read += built.fetched
            stats.bytes_read += built.bytes_read
            stats.records_decoded += built.records
            stats.entries_written += 1
            return self._place(group_dir, Entry(built.temp, built.manifest, built.damaged))

    def adopt(
        self,
        group_dir: Path,
        produce: Callable[[], Entry],
        *,
        listed_ids: Manifest,
        needed_ids: Manifest,
        stats: IngestStats,
    ) -> Path:
        """The group's entry if one serves by now, else the complete entry file ``produce`` writes in
        ``group_dir`` (a downloaded lake part), made the group's entry.

        ``produce`` runs under the group's lock: the panels of a dashboard that miss the same day at once
        download its part once between them, the others wait and take the entry it became. What it
        returns must lie in ``group_dir`` (a rename) with ``manifest`` exactly its rows' ids; what it
        raises leaves the group as it was.
        """
        group_dir.mkdir(parents=True, exist_ok=True)
        with group_lock(group_dir):
            entry = self.current(group_dir, reload=True)
            if (served := self._serving(entry, listed_ids=listed_ids, needed_ids=needed_ids, stats=stats)) is not None:
                return served
            return self._place(group_dir, produce())

    def seed(self, group_dir: Path, produce: Callable[[], Entry | None]) -> None:
        """Give a group without an entry one written elsewhere in ``group_dir`` (a lake part lending its hours).

        ``produce`` runs under the group's lock, and only while the group has no entry: the jobs of one
        query's hours that would all seed the same day get one download between them.
        """
        group_dir.mkdir(parents=True, exist_ok=True)
        with group_lock(group_dir):
            if self.current(group_dir, reload=True) is None and (written := produce()) is not None:
                self._place(group_dir, written)

    def _place(self, group_dir: Path, written: Entry) -> Path:
        """Rename a finished temp file to its entry name and index it (the caller holds the group lock)."""
        final = group_dir / f"{manifest_hash(written.manifest)}.parquet"
        try:
            os.replace(written.path, final)
        finally:
            written.path.unlink(missing_ok=True)
        with self._lock:
            self._index[group_dir] = Entry(final, written.manifest, written.damaged)
        return final

    def cached_entry(
        self, group_dir: Path, *, listed_ids: Manifest, needed_ids: Manifest, stats: IngestStats
    ) -> Path | None:
        """The entry ``entry_for`` would return, if it exists already (no lock, no thread, no build).

        Takes id sets, not objects: a warm query checks every entry of its range, and the listing
        computed those sets once for all the queries that share it.
        """
        return self._serving(self.current(group_dir), listed_ids=listed_ids, needed_ids=needed_ids, stats=stats)

    def _serving(
        self, entry: Entry | None, *, listed_ids: Manifest, needed_ids: Manifest, stats: IngestStats
    ) -> Path | None:
        """``entry``'s path, touched and counted, when it holds every needed object and nothing unlisted."""
        if entry is None or not needed_ids <= entry.manifest <= listed_ids:
            return None
        stats.objects_cached += len(needed_ids)
        self.touch(entry.path)
        return entry.path

    def empty_entry(self) -> Path:
        """A zero-row file in the entries' layout: views planned over it have a run's shape and read nothing.

        Its name is not an entry's, so it is never indexed, served or evicted.
        """
        path = self.root / "plan" / "empty.parquet"
        if not path.exists():
            path.parent.mkdir(exist_ok=True)
            temp = path.with_name(f".tmp-{os.getpid()}-{threading.get_ident()}.parquet")
            pq.write_table(empty_entry(), temp)
            os.replace(temp, path)
        return path

    def holdings(self, group_dirs: Iterable[Path]) -> Manifest:
        """The (key, ETag) ids whose rows the groups' current entries hold: what a build would copy, not download."""
        entries = (self.current(group_dir) for group_dir in group_dirs)
        return frozenset().union(*(entry.manifest for entry in entries if entry is not None))

    def damaged_in(self, path: Path) -> Manifest:
        """The ids of the damaged objects the entry at ``path`` records.

        Known from the index for the group's current entry; read from the file when another query
        replaced it in the meantime (the caller's views still read this one).
        """
        with self._lock:
            entry = self._index.get(path.parent)
        if entry is None or entry.path != path:
            entry = _read_entry(path)
        return entry.damaged if entry is not None else frozenset()

    def current(self, group_dir: Path, reload: bool = False) -> Entry | None:
        """The group's entry (from the index, or from disk after a restart or another process's build)."""
        with self._lock:
            indexed = self._index.get(group_dir)
        if indexed is not None and not reload and indexed.path.exists():
            return indexed
        entry = _newest_on_disk(group_dir, indexed)
        with self._lock:
            if entry is None:
                self._index.pop(group_dir, None)
            else:
                self._index[group_dir] = entry
        return entry

    @staticmethod
    def touch(path: Path) -> bool:
        """Mark as recently used (mtime drives LRU; skipped when already fresh); False if the file is gone."""
        try:
            if time.time() - path.stat().st_mtime > RECENT_USE_S / 2:
                os.utime(path)
        except FileNotFoundError:
            return False
        return True

    @staticmethod
    def companion_path(entry: Path, tag: str) -> Path:
        """Where a file derived from ``entry``'s rows lives (``tag``: lower-case letters, digits, hyphens).

        Entries are immutable, so such a file stays true as long as the entry exists; named after it,
        it is counted in the entry's size and evicted with it.
        """
        return entry.with_name(f"{entry.name.removesuffix('.parquet')}.{tag}.parquet")

    @staticmethod
    def companions_of(entry: Path) -> list[Path]:
        """The files derived from ``entry``'s rows that exist now (``companion_path``)."""
        stem = entry.name.removesuffix(".parquet")
        return [path for path in entry.parent.glob(f"{stem}.*.parquet") if _COMPANION_RE.match(path.name)]

    def evict(self, protect: Iterable[Path] = ()) -> int:
        """Delete least-recently-used entries (with their companions) until under ``max_bytes``;
        returns how many entries went.

        Temp files of writers that were killed mid-write are deleted here too, once old enough that no
        live writer can still own them, and so are companions whose entry is gone.
        """
        _delete_stale_temps(self.root)
        protected = {p.resolve() for p in protect}
        entries = sorted(_all_entries(self.root), key=lambda held: held.used)
        total = sum(held.size for held in entries)
        removed, now = 0, time.time()
        for held in entries:
            if total <= self.max_bytes:
                break
            if held.path.resolve() in protected or now - held.used < RECENT_USE_S:
                continue
            for path in (held.path, *held.companions):
                path.unlink(missing_ok=True)
            total -= held.size
            removed += 1
        if removed:
            with self._lock:
                self._index = {g: e for g, e in self._index.items() if e.path.exists()}
        return removed

    def total_bytes(self) -> int:
        return sum(held.size for held in _all_entries(self.root))


@dataclass(frozen=True)
class _Held:
    path: Path
    used: float  # the entry's mtime
    size: int  # the entry's bytes and its companions'
    companions: tuple[Path, ...]


def is_entry_name(name: str) -> bool:
    """Whether ``name`` is an entry's file name (not a companion's, a temp file's or a lock's)."""
    return _ENTRY_RE.match(name) is not None


def _all_entries(root: Path) -> Iterator[_Held]:
    """Every entry with its companions; companions left without their entry are deleted on the way."""
    for group in root.iterdir():
        if not group.is_dir():
            continue
        entries: dict[str, Path] = {}
        companions: dict[str, list[Path]] = {}
        for path in group.iterdir():
            if is_entry_name(path.name):
                entries[path.name.removesuffix(".parquet")] = path
            elif found := _COMPANION_RE.match(path.name):
                companions.setdefault(found.group(1), []).append(path)
        for stem, orphans in companions.items():
            if stem not in entries:
                for orphan in orphans:
                    orphan.unlink(missing_ok=True)
        for stem, path in entries.items():
            try:
                stat = path.stat()
                sizes = [stat.st_size, *(c.stat().st_size for c in companions.get(stem, ()))]
            except FileNotFoundError:
                continue
            yield _Held(path, stat.st_mtime, sum(sizes), tuple(companions.get(stem, ())))


def _delete_stale_temps(root: Path) -> None:
    cutoff = time.time() - STALE_TEMP_S
    for temp in root.glob("*/.tmp-*"):
        with contextlib.suppress(FileNotFoundError):
            if temp.stat().st_mtime < cutoff:
                temp.unlink()


def _newest_on_disk(group_dir: Path, indexed: Entry | None) -> Entry | None:
    """The most recently used complete entry of a group (after a restart, or another process's).

    ``indexed`` (the entry this process knows for the group) is taken as it is when it comes up: an
    entry is named after its rows and never changed, so reading its rows again would find the same
    entry. The panels of a dashboard that wait on one day's lock would otherwise each re-read the
    entry the first of them just placed.
    """
    if not group_dir.is_dir():
        return None
    candidates = sorted(
        (p for p in group_dir.iterdir() if is_entry_name(p.name)), key=lambda p: p.stat().st_mtime, reverse=True
    )
    for path in candidates:
        entry = indexed if indexed is not None and path == indexed.path else _read_entry(path)
        if entry is not None:
            return entry
        path.unlink(missing_ok=True)  # unreadable, or not the entry its name says: never serve it
    return None


def _read_entry(path: Path) -> Entry | None:
    """The entry in ``path`` from its own rows, or None when it is unreadable or its name does not match them."""
    try:
        columns = pq.read_table(path, columns=[KEY, ETAG, RECORD_INDEX])
    except (OSError, pa.ArrowInvalid):
        return None
    keys, etags = columns[KEY].cast(pa.string()), columns[ETAG].cast(pa.string())
    ids = pc.binary_join_element_wise(keys, etags, "\0")
    manifest = frozenset(pc.unique(ids).to_pylist())  # one per object
    if manifest_hash(manifest) != path.name.removesuffix(".parquet"):
        return None
    damaged = ids.filter(pc.equal(columns[RECORD_INDEX], DAMAGED))
    return Entry(path, manifest, frozenset(damaged.to_pylist()))


@contextmanager
def group_lock(group_dir: Path) -> Iterator[None]:
    """Hold the folder's exclusive ``flock`` (threads and processes): one writer per group at a time."""
    with (group_dir / ".lock").open("a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
