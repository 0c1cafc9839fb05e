"""Run one query's independent ingest jobs (one per hour) on a few threads, failing as one.

Building an hour's entry is mostly gunzip, JSON parsing (DuckDB's reader) and Parquet writing, which all
release the GIL, so on a 2-core machine two hours decode in about the time of one. Each job gets a
child of the query's cancel token: the first failure fires it, so jobs already running stop at
their next check between objects and jobs not yet started never start; the caller then sees that
first failure (a cancelled or timed-out query sees its own cancellation error, as before).

The jobs running in the whole process are counted (``spare_cores``): a job that could use helper threads
of its own for CPU work (``assemble``'s decode-ahead) does so only while fewer jobs than cores run, because
threads beyond the cores add CPU (switching, the GIL handed back and forth, colder caches) and no speed.

While jobs run, the C library reuses big blocks instead of mapping fresh pages for each (``heaps.py``), and
the decode reuses its blocks for a chunk's texts (``documents``), dropped once no job runs.
Once the jobs are done, the memory they freed is handed back to the system: ``heaps.py`` trims the C
library's heaps once the last job ends (the decode's blocks are dropped just before, so the trim takes them
too), which is all Arrow's pool holds with the C library's allocator, the plugin's choice; an allocator the
operator chose with ``ARROW_DEFAULT_MEMORY_POOL``, e.g. mimalloc, which keeps what a thread freed in that
thread's heap, is asked to release what it holds. Otherwise every cold query would leave its decode's peak in
the plugin's RSS, under the next big answer (W7, docs/benchmarks.md).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import TypeVar

import pyarrow as pa

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.flowlogs.documents import release_join_blocks
from cloudsql_cos_ts.heaps import big_blocks_reused

T = TypeVar("T")
CORES = os.cpu_count() or 2
INGEST_WORKERS = min(4, CORES)

Job = Callable[[CancelToken], T]


class _Running:
    """How many ingest jobs run now, in every query of the process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0

    def add(self, step: int) -> None:
        with self._lock:
            self._count += step

    def count(self) -> int:
        with self._lock:
            return self._count


_RUNNING = _Running()


def spare_cores() -> int:
    """Cores no ingest job of the process is running on now (0 when every core has one)."""
    return max(0, CORES - _RUNNING.count())


def ingest_running() -> bool:
    """Whether any query of the process is building entries now."""
    return _RUNNING.count() > 0


def run_jobs(jobs: Sequence[Job[T]], cancel: CancelToken, workers: int = INGEST_WORKERS) -> list[T]:
    """Every job's result in job order, or the first failure once no job runs any more."""
    if not jobs:
        return []
    try:
        with big_blocks_reused():
            try:
                return _run(jobs, cancel, workers)
            finally:
                if not _RUNNING.count():  # no other query's jobs decode now: their blocks go, before the trim
                    release_join_blocks()
    finally:
        if pa.default_memory_pool().backend_name != "system":  # the C library's heaps are heaps.py's to trim
            pa.default_memory_pool().release_unused()


def _counted(job: Job[T], cancel: CancelToken) -> T:
    _RUNNING.add(1)
    try:
        return job(cancel)
    finally:
        _RUNNING.add(-1)


def _run(jobs: Sequence[Job[T]], cancel: CancelToken, workers: int) -> list[T]:
    if workers <= 1 or len(jobs) <= 1:
        return [_counted(job, cancel) for job in jobs]
    stop = cancel.child()
    try:
        with ThreadPoolExecutor(max_workers=min(workers, len(jobs)), thread_name_prefix="ingest") as pool:
            futures = [pool.submit(_counted, job, stop) for job in jobs]
            done, _ = wait(futures, return_when=FIRST_EXCEPTION)
            error = next((e for e in (f.exception() for f in futures if f in done) if e is not None), None)
            if error is not None:
                stop.cancel()
                for future in futures:
                    future.cancel()
        if error is not None:
            raise error
        return [future.result() for future in futures]
    finally:
        stop.close()
