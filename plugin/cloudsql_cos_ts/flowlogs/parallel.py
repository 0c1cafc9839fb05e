"""Run one query's independent ingest jobs (one per hour) on a few threads, failing as one.

Building an hour's entry is mostly gunzip, JSON parsing (DuckDB's reader) and Parquet writing, which all
release the GIL, so on a 2-core machine two hours decode in about the time of one. Each job gets a
child of the query's cancel token: the first failure fires it, so jobs already running stop at
their next check between objects and jobs not yet started never start; the caller then sees that
first failure (a cancelled or timed-out query sees its own cancellation error, as before).

While jobs run, the C library reuses big blocks instead of mapping fresh pages for each (``heaps.py``).
Once the jobs are done, the memory they freed is handed back to the system: Arrow's allocator
(mimalloc) keeps what a thread freed in that thread's heap, and a pool thread that ends leaves it
there, so every cold query would otherwise leave its decode's peak in the plugin's RSS, under
the next big answer (W7, docs/benchmarks.md).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import TypeVar

import pyarrow as pa

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.heaps import big_blocks_reused

T = TypeVar("T")
INGEST_WORKERS = min(4, os.cpu_count() or 2)

Job = Callable[[CancelToken], T]


def run_jobs(jobs: Sequence[Job[T]], cancel: CancelToken, workers: int = INGEST_WORKERS) -> list[T]:
    """Every job's result in job order, or the first failure once no job runs any more."""
    if not jobs:
        return []
    try:
        with big_blocks_reused():
            return _run(jobs, cancel, workers)
    finally:
        pa.default_memory_pool().release_unused()


def _run(jobs: Sequence[Job[T]], cancel: CancelToken, workers: int) -> list[T]:
    if workers <= 1 or len(jobs) <= 1:
        return [job(cancel) for job in jobs]
    stop = cancel.child()
    try:
        with ThreadPoolExecutor(max_workers=min(workers, len(jobs)), thread_name_prefix="ingest") as pool:
            futures = [pool.submit(job, stop) for job in jobs]
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
