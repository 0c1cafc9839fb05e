"""Span files: the records of a run of settled entries in one file, which ``FLOW_FLAT`` reads instead.

Why: DuckDB pays per file it opens on every query, and over several files it has no statistics of the
whole scan, so it tests the views' filters on every row; over one file whose statistics show that every
row passes them, it skips them. A week read from its day entries so costs a warm dashboard noticeably
more than the same rows in one file (W1 warm in docs/benchmarks.md). Entries stay as they are (built,
checked and named after their rows, the unit lake parts and enriched copies are made of, and what
``FLOW`` reads); a span is a copy of the records of a run of them that only ``FLOW_FLAT`` reads.

* A run is a stretch of a query's entries that are all of settled days (``groups.settled_runs``): day
  entries, and the hours of a settled day at a range's edges. They no longer change in practice, so a
  span of them is merged once.
* A span is named after the names of the entries it holds, in order. Entries are named after their rows
  and never change, so a span is current exactly when its name matches the entries a query resolved to:
  a late object gives its day a new entry, and so the run a new span name. A span no longer matched is
  never read again: it is deleted when another span is merged after no query read it for a while (a range
  relative to now moves its first hours each hour), or evicted with the least recently used entries.
* Its rows are the entries' record rows in order, the records of every row group of an entry written as
  one row group of the span with the entries' writer settings: ``FLOW_FLAT``'s answers (those without
  ``ORDER BY`` too) and the row groups the time filters skip are the same as over the entries. The rows
  marking empty and damaged objects, which ``FLOW_FLAT`` leaves out, are not copied.
* It is written to a temp file in the spans folder and renamed, under that folder's lock: a half-written
  span is never read (a killed writer's temp goes with the cache's eviction), and two processes build it
  once. Each process checks a span's row count against its entries' records once before reading it.
* It is built in the background after a query read a run without its span, one merge at a time in the
  process and none requested while a query builds entries (a dashboard loading cold panels keeps the cores):
  a query never waits for one. A merge starts once no request has been answered for a moment, and waits
  between row groups while requests are answered again (``activity.py``): neither its CPU nor its buffers
  come on top of a dashboard's queries. A merge stops between row groups when Python exits; the plugin
  process leaves at once instead (``server/main.py``), and the temp file of a merge cut short is never
  read and goes with the cache's stale temp files.
* The spans folder is a folder of the ingest cache and a span is named like an entry, so spans count in
  the cache's size and are evicted like entries.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import threading
import time
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cloudsql_cos_ts.activity import ACTIVITY
from cloudsql_cos_ts.flowlogs.assemble import DICTIONARY_COLUMNS, LOCAL_CODEC, ROW_GROUP_ROWS, STATISTICS_COLUMNS
from cloudsql_cos_ts.flowlogs.decode import DAMAGED, ENTRY_SCHEMA, RECORD_INDEX
from cloudsql_cos_ts.flowlogs.ingest import IngestCache, group_lock, is_entry_name
from cloudsql_cos_ts.flowlogs.parallel import ingest_running
from cloudsql_cos_ts.log import log

SPANS_GROUP = "spans"  # the ingest cache group whose folder holds a source's spans
LAYOUT = "records"  # part of every span's name: a span written another way is never read
SPAN_IDLE_S = 15 * 60.0  # a span no query read this long is deleted when another span is merged
STOP_WAIT_S = 5.0  # how long the process's exit waits for a merge to notice it should stop


def span_path(folder: Path, entries: Sequence[Path]) -> Path:
    """Where the span of ``entries`` (in day order) lives: named after their folders and names."""
    names = [LAYOUT, *(f"{path.parent.name}/{path.name}" for path in entries)]
    digest = hashlib.sha256("\n".join(names).encode()).hexdigest()
    return folder / f"{digest}.parquet"


def merge(entries: Sequence[Path], span: Path, stop: threading.Event) -> bool:
    """Write the span of ``entries`` at ``span`` unless it exists; False when it was not written (an entry is
    gone or of an earlier layout, or ``stop`` was set)."""
    folder = span.parent
    folder.mkdir(parents=True, exist_ok=True)
    with group_lock(folder):
        if span.exists():
            return True
        temp = folder / f".tmp-{os.getpid()}-{threading.get_ident()}.parquet"
        try:
            if not _write(entries, temp, stop):
                return False
            os.replace(temp, span)
            _drop_idle(folder, keep=span)
            return True
        finally:
            temp.unlink(missing_ok=True)


def _drop_idle(folder: Path, keep: Path) -> None:
    """Delete the spans no query read for ``SPAN_IDLE_S``: a range relative to now (``Last 7 days``) moves
    its first hours each hour, so its run gets a new span each hour and the old ones would sit in the cache
    until evicted (the caller holds the folder's lock). A span's companions (its enriched copies) go with it."""
    cutoff = time.time() - SPAN_IDLE_S
    for path in folder.glob("*.parquet"):
        if path == keep or not is_entry_name(path.name):  # companions go with their span, below
            continue
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_mtime < cutoff:
                for companion in IngestCache.companions_of(path):
                    companion.unlink(missing_ok=True)
                path.unlink()


def _write(entries: Sequence[Path], temp: Path, stop: threading.Event) -> bool:
    with ExitStack() as stack:
        try:  # an open file stays readable even if eviction deletes it now
            handles = [stack.enter_context(pq.ParquetFile(path)) for path in entries]
        except (OSError, pa.ArrowInvalid):
            return False
        if not all(handle.schema_arrow.equals(ENTRY_SCHEMA) for handle in handles):
            return False
        writer = stack.enter_context(
            pq.ParquetWriter(
                temp,
                ENTRY_SCHEMA,
                compression=LOCAL_CODEC,
                write_statistics=STATISTICS_COLUMNS,
                use_dictionary=DICTIONARY_COLUMNS,
            )
        )
        for handle in handles:
            for index in range(handle.metadata.num_row_groups):
                if not ACTIVITY.wait_quiet(stop):  # while requests are answered the rest waits; False: stopped
                    return False
                group = handle.read_row_group(index)
                if (records := group.filter(_records(group[RECORD_INDEX]))).num_rows:
                    writer.write_table(records, row_group_size=ROW_GROUP_ROWS)
    return True


def _records(index: pa.ChunkedArray) -> pa.ChunkedArray:
    """Which rows are records: not an empty object's row (NULL) nor a damaged object's (``DAMAGED``)."""
    return pc.fill_null(pc.greater(index, DAMAGED), False)


def _records_in(path: Path) -> int | None:
    """How many record rows the entry at ``path`` holds; None when it is gone or unreadable."""
    try:
        index = pq.read_table(path, columns=[RECORD_INDEX])[RECORD_INDEX]
    except (OSError, pa.ArrowException):
        return None
    return int(pc.sum(_records(index)).as_py() or 0)


def _rows(path: Path) -> int | None:
    """The rows the Parquet footer of ``path`` counts; None when it is gone or unreadable."""
    try:
        return int(pq.read_metadata(path).num_rows)
    except (OSError, pa.ArrowException):
        return None


class SpanMerger:
    """The process's background merges: one at a time, a request made while one runs is dropped (the next
    query that reads the run asks again), and so is one made while another query builds entries (a
    dashboard still loading its cold panels keeps the cores; a later warm query asks again)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def request(self, entries: Sequence[Path], span: Path) -> bool:
        """Start merging ``entries`` into ``span`` unless a merge or an ingest runs; whether this one started."""
        with self._lock:
            if self._stop.is_set() or (self._thread is not None and self._thread.is_alive()) or ingest_running():
                return False
            self._thread = threading.Thread(
                target=self._merge, args=(tuple(entries), span), name="span-merge", daemon=True
            )
            self._thread.start()
            return True

    def _merge(self, entries: tuple[Path, ...], span: Path) -> None:
        """Merge once no query runs, and log what failed: queries read the entries meanwhile, and the next one
        asks again."""
        try:
            if ACTIVITY.wait_quiet(self._stop):  # not beside the query that asked, nor its dashboard's others
                merge(entries, span, self._stop)
        except (OSError, pa.ArrowException) as exc:  # a full disk, an entry damaged on disk
            log.warn("merging a span of settled days failed", error=f"{type(exc).__name__}: {exc}")

    def wait(self, timeout_s: float | None = None) -> None:
        """Wait for the running merge, if any, to end."""
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join(timeout_s)

    def stop(self, timeout_s: float = STOP_WAIT_S) -> None:
        """Start no more merges and stop the running one at its next row group."""
        self._stop.set()
        self.wait(timeout_s)


MERGER = SpanMerger()
atexit.register(MERGER.stop)


class Spans:
    """The spans of one flow-log source, in its folder of the ingest cache."""

    def __init__(self, cache: IngestCache, folder: Path, merger: SpanMerger = MERGER) -> None:
        self.cache, self.folder, self.merger = cache, folder, merger
        self._checked: set[Path] = set()
        self._lock = threading.Lock()

    def reads(
        self, entries: Sequence[Path], runs: Sequence[tuple[int, int]], *, merge: bool
    ) -> tuple[tuple[Path, ...], int]:
        """The files to read for ``entries``: each run's span where a current one exists; and how many spans
        that is. With ``merge``, a run without its span gets one merged in the background (a query that
        built entries does not ask: the next one that finds them all cached does, while the cores are free
        of that ingest)."""
        files: list[Path] = []
        spans, done = 0, 0
        for start, stop in runs:
            files.extend(entries[done:start])
            run = entries[start:stop]
            span = span_path(self.folder, run)
            if self._current(span, run):
                files.append(span)
                spans += 1
            else:
                files.extend(run)
                if merge:
                    self.merger.request(run, span)
            done = stop
        files.extend(entries[done:])
        return tuple(files), spans

    def _current(self, span: Path, run: Sequence[Path]) -> bool:
        if not self.cache.touch(span):
            return False
        with self._lock:
            if span in self._checked:
                return True
        held, entries = _rows(span), [_records_in(path) for path in run]
        if None in entries:  # an entry went meanwhile: the span may still be right, but not this time
            return False
        if held != sum(count for count in entries if count is not None):  # damaged: never read it
            span.unlink(missing_ok=True)
            return False
        with self._lock:
            self._checked.add(span)
        return True
