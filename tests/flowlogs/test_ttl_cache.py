"""The listing memo: shared within its lifetime, recomputed after, one computation for many callers."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from cloudsql_cos_ts.errors import QueryCancelled
from cloudsql_cos_ts.flowlogs.ttl_cache import TtlCache


def test_value_is_shared_until_it_expires() -> None:
    cache: TtlCache[str, int] = TtlCache(0.2)
    calls = iter(range(10))
    assert cache.peek("k") is None
    assert cache.get("k", lambda: next(calls)) == (0, True)
    assert cache.get("k", lambda: next(calls)) == (0, False)
    assert cache.peek("k") == 0
    assert cache.get("other", lambda: next(calls)) == (1, True)
    time.sleep(0.25)
    assert cache.peek("k") is None
    assert cache.get("k", lambda: next(calls)) == (2, True)


def test_concurrent_callers_share_one_computation() -> None:
    cache: TtlCache[str, int] = TtlCache(60)
    computations = []

    def slow() -> int:
        computations.append(1)
        time.sleep(0.2)
        return 42

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: cache.get("k", slow), range(8)))
    assert computations == [1]
    assert sorted(answers) == [(42, False)] * 7 + [(42, True)]


def test_waiters_compute_themselves_when_the_first_caller_fails() -> None:
    cache: TtlCache[str, int] = TtlCache(60)
    first_started = threading.Event()

    def cancelled() -> int:
        first_started.set()
        time.sleep(0.1)
        raise QueryCancelled("the first panel was closed")

    with ThreadPoolExecutor(2) as pool:
        failing = pool.submit(cache.get, "k", cancelled)
        first_started.wait(5)
        waiting = pool.submit(cache.get, "k", lambda: 7)
        with pytest.raises(QueryCancelled):
            failing.result(5)
        assert waiting.result(5) == (7, True)
