"""Parallel ingest jobs: order, real concurrency, the first failure stops the rest, cancellation, memory given back,
the cores running jobs take."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.errors import DownstreamError, DownstreamTimeout, QueryCancelled
from cloudsql_cos_ts.flowlogs.fetch import raise_if_cancelled
from cloudsql_cos_ts.flowlogs.parallel import CORES, Job, run_jobs, spare_cores
from cloudsql_cos_ts.server.main import ARROW_POOL_VARIABLE


def _value(n: int) -> Job[int]:
    def job(cancel: CancelToken) -> int:
        time.sleep(0.001 * (n % 3))
        return n

    return job


def test_results_keep_job_order() -> None:
    assert run_jobs([_value(n) for n in range(20)], CancelToken(), workers=3) == list(range(20))


def test_jobs_run_side_by_side() -> None:
    barrier = threading.Barrier(2, timeout=5)

    def meet(cancel: CancelToken) -> int:
        return barrier.wait()  # a serial runner would time out here

    assert sorted(run_jobs([meet, meet], CancelToken(), workers=2)) == [0, 1]


def test_first_failure_stops_running_and_queued_jobs() -> None:
    started: list[int] = []
    stopped = threading.Event()

    def failing(cancel: CancelToken) -> int:
        time.sleep(0.05)
        raise DownstreamError("object 7 is not valid gzip")

    def long_running(cancel: CancelToken) -> int:
        started.append(1)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if cancel.is_cancelled():
                stopped.set()
            raise_if_cancelled(cancel)
            time.sleep(0.005)
        return 0

    began = time.monotonic()
    with pytest.raises(DownstreamError, match="not valid gzip"):
        run_jobs([long_running, failing, *[long_running] * 10], CancelToken(), workers=2)
    assert time.monotonic() - began < 2
    assert stopped.is_set()
    assert len(started) <= 2  # the freed worker may take one more job (which stops at once); no others start


@pytest.mark.parametrize(("reason", "error"), [("cancelled", QueryCancelled), ("timeout", DownstreamTimeout)])
def test_query_cancellation_reaches_every_job(reason: str, error: type) -> None:
    token = CancelToken()

    def waits_for_cancel(cancel: CancelToken) -> int:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            raise_if_cancelled(cancel)
            time.sleep(0.005)
        return 0

    threading.Timer(0.05, token.cancel, kwargs={"reason": reason}).start()
    began = time.monotonic()
    with pytest.raises(error):
        run_jobs([waits_for_cancel] * 4, token, workers=2)
    assert time.monotonic() - began < 1


def test_one_job_or_one_worker_runs_inline() -> None:
    caller = threading.get_ident()
    idents = run_jobs([lambda c: threading.get_ident()] * 3, CancelToken(), workers=1)
    assert idents == [caller] * 3


# Each probe runs jobs in a fresh process and prints how many MiB its RSS grew by once they ended.
_RSS = """
from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.flowlogs.parallel import run_jobs

def rss_mib():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) // 1024 for line in status if line.startswith("VmRSS"))
"""

_ARROW_BUFFERS = textwrap.dedent(
    """
    import pyarrow as pa, pyarrow.compute as pc

    def decode_like(cancel):  # many Arrow buffers, all freed before the pool's thread ends
        base = pa.array(range(200_000), pa.int64())
        arrays = [pc.add(base, i) for i in range(100)]
        return len(arrays)

    before = rss_mib()
    run_jobs([decode_like] * 4, CancelToken(), workers=4)
    print(rss_mib() - before)
    """
)

_TEXT_BLOCKS = textwrap.dedent(
    """
    from cloudsql_cos_ts.engines.answer_memory import hand_back_big_blocks
    from cloudsql_cos_ts.flowlogs import documents

    def decode_like(cancel):  # as read_documents does for a chunk of texts (DuckDB's memory is its own)
        block = documents._JOIN_BLOCKS.take(24 << 20)
        block[:] = 1
        answer = bytearray(1 << 20)  # what the job returns, after the block in its thread's heap
        documents._JOIN_BLOCKS.give(block)
        return answer

    hand_back_big_blocks({})  # as the server does
    before = rss_mib()
    answers = run_jobs([decode_like] * 2, CancelToken(), workers=2)
    print(rss_mib() - before)
    """
)


@pytest.mark.parametrize(
    ("probe", "pool", "most_mib"),
    [
        # ~600 MiB of Arrow buffers with Arrow's default allocator, which keeps what a thread freed in that
        # thread's heap: the pool's threads ended holding it unless it was handed back (~575 MiB more).
        pytest.param(_ARROW_BUFFERS, "mimalloc", 150, id="arrow-buffers"),
        # The plugin's allocator: each decoding thread reuses one block for its chunks' texts while jobs run;
        # the blocks are dropped before the C library's heaps are trimmed when the last job ends.
        pytest.param(_TEXT_BLOCKS, "system", 16, id="decode-text-blocks"),
    ],
)
def test_memory_freed_by_the_jobs_leaves_the_process(probe: str, pool: str, most_mib: int) -> None:
    ran = subprocess.run(
        [sys.executable, "-c", _RSS + probe],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={**os.environ, ARROW_POOL_VARIABLE: pool},
    )
    assert int(ran.stdout) < most_mib, f"the process kept {ran.stdout.strip()} MiB after the jobs ended"


def test_running_jobs_take_their_cores() -> None:
    """Each running job, of any query, takes a core from ``spare_cores``; an ended one gives it back."""
    barrier = threading.Barrier(2, timeout=5)

    def spare_while_both_run(cancel: CancelToken) -> int:
        barrier.wait()
        spare = spare_cores()
        barrier.wait()  # neither ends before both have looked
        return spare

    assert spare_cores() == CORES
    assert run_jobs([spare_while_both_run] * 2, CancelToken(), workers=2) == [max(0, CORES - 2)] * 2
    assert run_jobs([lambda cancel: spare_cores()], CancelToken()) == [CORES - 1]
    assert spare_cores() == CORES
