"""The C library's threshold for blocks with pages of their own: held low, raised while ingests run.

Each case runs in a fresh process (the threshold is the process's): it allocates, writes and frees big blocks
as the decode does and counts the page faults they cost, before, during and after ingests, and how much of
what an ingest left free stays in the process once the last ingest ends.
"""

from __future__ import annotations

import json
import subprocess
import sys

_PROBE = """
import contextlib, ctypes, json, os, resource, sys
from cloudsql_cos_ts.heaps import big_blocks_reused, hold_threshold
libc = ctypes.CDLL(None)
libc.malloc.restype, libc.malloc.argtypes, libc.free.argtypes = ctypes.c_void_p, [ctypes.c_size_t], [ctypes.c_void_p]
BLOCK = 4 << 20
faults = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_minflt
rss = lambda: int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

def churn():  # a decode's buffers: each written whole, then freed; the faults a page of the last 15
    for rep in range(20):
        if rep == 5:
            before = faults()
        block = libc.malloc(BLOCK); ctypes.memset(block, 1, BLOCK); libc.free(block)
    return (faults() - before) / 15 / (BLOCK // 4096)

def left_free():  # blocks freed below one that stays: only a trim can hand them back
    big = []
    for _ in range(32):
        big.append(libc.malloc(BLOCK)); ctypes.memset(big[-1], 1, BLOCK)
    for block in big[:-1]:
        libc.free(block)

held = sys.argv[1] == "held" and hold_threshold(128 << 10)
figures = {"held": held, "before": churn()}
with contextlib.ExitStack() as first:
    first.enter_context(big_blocks_reused())
    with big_blocks_reused():  # a second ingest, ending first
        figures["two ingests"] = churn()
    figures["one ingest left"] = churn()
figures["after"] = churn()
with big_blocks_reused():
    start = rss()
    left_free()
    figures["left_mb"] = (rss() - start) / (1 << 20)
figures["kept_mb"] = (rss() - start) / (1 << 20)
print(json.dumps(figures))
"""


def _probe(mode: str) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", _PROBE, mode], capture_output=True, text=True, timeout=60, check=True)
    return dict(json.loads(done.stdout))


def test_ingests_reuse_big_blocks_and_the_last_one_out_holds_the_threshold_again() -> None:
    figures = _probe("held")
    assert figures["held"]
    assert figures["before"] >= 0.9  # held low: every page of every block faults
    assert figures["two ingests"] <= 0.1 and figures["one ingest left"] <= 0.1  # reused while any ingest runs
    assert figures["after"] >= 0.5  # held low again
    assert figures["left_mb"] > 64 and figures["kept_mb"] <= 16  # what the ingest left free was handed back by the trim


def test_where_no_threshold_is_held_only_the_trim_is_done() -> None:
    """The operator's ``MALLOC_MMAP_THRESHOLD_`` (or glibc's own adjusting one): no ingest changes it, and what an
    ingest left free is still handed back when the last one ends."""
    figures = _probe("not held")
    assert not figures["held"]
    assert figures["before"] <= 0.1 and figures["after"] <= 0.1
    assert figures["left_mb"] > 64 and figures["kept_mb"] <= 16
