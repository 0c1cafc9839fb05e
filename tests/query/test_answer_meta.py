"""What a served answer says about itself: one call to the cache, then the asking query's meta."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from cloudsql_cos_ts.cache import CachedResult, Lookup, ResultCache
from cloudsql_cos_ts.cache.store import ResultStore
from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.frames.encode import encode_frame
from cloudsql_cos_ts.frames.meta import FrameMeta
from cloudsql_cos_ts.frames.model import Field, Frame
from cloudsql_cos_ts.query.answer_meta import describe_run, served_frames
from cloudsql_cos_ts.query.stats import AnswerStats
from cloudsql_cos_ts.timerange import TimeRange

KEY = "k" * 64
LOOKUP = Lookup(key=KEY, ttl_s=60, read=True, keep_table=False, tag="ds", timeout_s=5)


def never_runs(_: CancelToken) -> CachedResult:
    raise AssertionError("a stored entry must not run")


def meta_of(frame: bytes) -> dict[str, Any]:
    return dict(json.loads(pa.ipc.open_file(pa.py_buffer(frame)).schema.metadata[b"meta"]))


@pytest.fixture
def cache(tmp_path: Path) -> ResultCache:
    """A cache holding one entry, 5.5 s old, whose frame was built by the query "SELECT  1"."""
    frame = Frame("A", "A", [Field("n", pa.array([1], pa.int64()))], meta=FrameMeta(executed_query_string="SELECT 1"))
    frame.meta.custom["expandedSql"] = "SELECT  1"
    store = ResultStore(tmp_path / "results", 10**8, memory_bytes=10**6)
    entry = CachedResult([encode_frame(frame)], None, time.time() - 5.5, TimeRange(1, 2))
    store.put(KEY, entry, ttl_s=60, tag="ds", with_table=False)
    return ResultCache(store)


def ask(cache: ResultCache, expanded_sql: str = "SELECT 1 -- another spelling") -> list[bytes]:
    served = cache.get_or_run(LOOKUP, CancelToken, never_runs)
    assert served.origin == "stored"
    return served_frames(served, executed_sql="SELECT 1", expanded_sql=expanded_sql, engine="duckdb")


def test_a_hit_shows_the_sql_of_the_query_that_asked_and_a_hits_stats(cache: ResultCache) -> None:
    """Issue 15 item 8: not the SQL of the query that filled the entry."""
    meta = meta_of(ask(cache)[0])
    assert meta["executedQueryString"] == "SELECT 1"
    assert meta["custom"]["expandedSql"] == "SELECT 1 -- another spelling"
    assert meta["custom"]["cache"] == {"hit": True, "ageSeconds": 5, "queriedRange": {"from": 1, "to": 2}}
    stats = {stat["displayName"]: stat["value"] for stat in meta["stats"]}
    assert stats["Result-cache hit"] == 1 and stats["Engine runs (duckdb)"] == 0
    assert stats["Objects read"] == stats["Bytes downloaded"] == stats["Time running"] == 0


def test_hits_within_one_second_share_their_frames_and_a_later_hit_says_its_new_age(cache: ResultCache) -> None:
    first, second = ask(cache), ask(cache)
    assert second[0] is first[0]
    assert ask(cache, "SELECT 1")[0] is not first[0]  # another asker's text: its own frames
    cache.get_or_run(LOOKUP, CancelToken, never_runs).result.created -= 2
    assert meta_of(ask(cache)[0])["custom"]["cache"]["ageSeconds"] == 7


def test_a_query_that_joined_an_identical_run_shows_its_own_sql_and_that_runs_stats(tmp_path: Path) -> None:
    cache = ResultCache(ResultStore(tmp_path / "results", 10**8, memory_bytes=10**6))
    started, release = threading.Event(), threading.Event()
    run_stats = AnswerStats.of_run("duckdb", {"objects_read": 3}, damaged=0, queued_s=0.001, running_s=0.5)

    def run(_: CancelToken) -> CachedResult:
        started.set()
        release.wait(10)
        frame = Frame("A", "A", [Field("n", pa.array([1]))], meta=FrameMeta(executed_query_string="SELECT 1"))
        describe_run(frame.meta, expanded_sql="SELECT 1", queried_range=TimeRange(1, 2), stats=run_stats)
        return CachedResult([encode_frame(frame)], None, time.time(), TimeRange(1, 2))

    served: dict[str, Any] = {}
    first = threading.Thread(target=lambda: served.update(first=cache.get_or_run(LOOKUP, CancelToken, run)))
    second = threading.Thread(target=lambda: served.update(second=cache.get_or_run(LOOKUP, CancelToken, never_runs)))
    first.start()
    assert started.wait(10)
    second.start()
    deadline = time.monotonic() + 10
    while cache._flights._flights[KEY].waiters < 2 and time.monotonic() < deadline:  # the second has joined
        time.sleep(0.01)
    release.set()
    first.join(10)
    second.join(10)
    assert (served["first"].origin, served["second"].origin) == ("run", "shared")
    meta = meta_of(
        served_frames(served["second"], executed_sql="SELECT 1", expanded_sql="select 1", engine="duckdb")[0]
    )
    assert meta["custom"]["expandedSql"] == "select 1" and meta["custom"]["cache"]["hit"] is False
    assert meta["stats"] == [stat.to_json() for stat in run_stats.query_stats()]  # what the shared run read
