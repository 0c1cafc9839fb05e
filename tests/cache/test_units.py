"""In-process checks of the cache's parts: keys, alignment, freshness, entry format, disk, store, flight."""

from __future__ import annotations

import pickle
import sqlite3
import threading
import time
from dataclasses import replace
from pathlib import Path

import pyarrow as pa
import pytest

from cloudsql_cos_ts.cache.align import align_range, alignment_step_ms
from cloudsql_cos_ts.cache.entry import CachedResult, CorruptEntry, pack, unpack
from cloudsql_cos_ts.cache.flight import SingleFlight, WaiterLeft
from cloudsql_cos_ts.cache.freshness import SETTLED_TTL_S, time_to_live
from cloudsql_cos_ts.cache.key import ResultIdentity
from cloudsql_cos_ts.cache.store import ResultStore
from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.timerange import TimeRange

HOUR_MS = 3_600_000
DATASOURCE = (1, 7, "ds", 1, "d1")  # org, datasource id, uid, lastUpdatedMS, settings digest
IDENTITY = ResultIdentity(
    datasource=DATASOURCE,
    engine="duckdb",
    sql="SELECT 1",
    fills="()",
    ref_id="A",
    format="table",
    time_column="",
    metrics_column="",
    get_result=True,
    for_alerting=False,
    time_range=TimeRange(0, HOUR_MS),
    row_limit=1000,
)


def result(frames: list[bytes], table: pa.Table | None = None) -> CachedResult:
    return CachedResult(frames=frames, table=table, created=1000.0, queried_range=TimeRange(1, 2))


@pytest.mark.parametrize(
    "change",
    [
        {"datasource": (2, 7, "ds", 1, "d1")},  # the same uid in another org
        {"datasource": (1, 8, "ds", 1, "d1")},
        {"datasource": (1, 7, "other", 1, "d1")},
        {"datasource": (1, 7, "ds", 2, "d1")},
        {"datasource": (1, 7, "ds", 1, "d2")},  # settings edited within one second, or another CLI source
        {"engine": "spark"},
        {"sql": "SELECT 2"},
        {"fills": "(fill,)"},
        {"ref_id": "B"},
        {"format": "time_series"},
        {"time_column": "t"},
        {"metrics_column": "m"},
        {"get_result": False},
        {"for_alerting": True},
        {"time_range": TimeRange(0, HOUR_MS + 1)},
        {"row_limit": 7},
        {"inputs": (("__PREV_A", "abc"),)},
    ],
)
def test_every_part_of_the_identity_changes_the_key(change: dict[str, object]) -> None:
    assert replace(IDENTITY, **change).digest() != IDENTITY.digest()  # type: ignore[arg-type]


def test_the_key_is_stable_hex() -> None:
    assert IDENTITY.digest() == replace(IDENTITY).digest()
    assert len(IDENTITY.digest()) == 64 and int(IDENTITY.digest(), 16) >= 0


@pytest.mark.parametrize(
    ("span_ms", "interval_ms", "minimum_s", "step_s"),
    [
        (6 * HOUR_MS, 20_000, 10, 300),  # "last 6 hours": 216 s rounds up to 5 min
        (HOUR_MS, 2_000, 10, 60),
        (5 * 60_000, 1_000, 10, 10),  # short ranges: the minimum step
        (24 * HOUR_MS, 60_000, 10, 900),
        (HOUR_MS, 120_000, 10, 120),  # never finer than the panel interval
        (HOUR_MS, 1_000, 600, 600),  # the datasource's minimum
    ],
)
def test_alignment_step(span_ms: int, interval_ms: int, minimum_s: int, step_s: int) -> None:
    assert alignment_step_ms(TimeRange(10**12, 10**12 + span_ms), interval_ms, minimum_s) == step_s * 1000


def test_alignment_widens_outward_and_is_shared_by_nearby_refreshes() -> None:
    step = 300_000
    base = 1_715_000_000_000 - 1_715_000_000_000 % step
    first = TimeRange(base + 10_000 - 6 * HOUR_MS, base + 10_000)
    a_minute_later = TimeRange(first.from_ms + 60_000, first.to_ms + 60_000)
    aligned = align_range(first, step)
    assert aligned == align_range(a_minute_later, step) == TimeRange(base - 6 * HOUR_MS, base + step)
    assert aligned.from_ms <= first.from_ms and aligned.to_ms >= first.to_ms
    assert align_range(aligned, step) == aligned


def test_time_to_live() -> None:
    now = 100 * HOUR_MS
    live, settled = TimeRange(now - HOUR_MS, now), TimeRange(now - 5 * HOUR_MS, now - 2 * HOUR_MS)
    common = {"now_ms": now, "settle_s": 3600}
    assert time_to_live(datasource_ttl_s=300, query_ttl_s=None, time_range=live, **common) == 300
    assert time_to_live(datasource_ttl_s=300, query_ttl_s=None, time_range=settled, **common) == SETTLED_TTL_S
    assert time_to_live(datasource_ttl_s=0, query_ttl_s=None, time_range=settled, **common) == 0
    assert time_to_live(datasource_ttl_s=300, query_ttl_s=5, time_range=settled, **common) == 5
    assert time_to_live(datasource_ttl_s=300, query_ttl_s=0, time_range=live, **common) == 0


def test_entry_round_trip_with_and_without_table() -> None:
    table = pa.table({"x": [1, 2, 3]})
    packed = pack(result([b"frame-1", b"frame-22"], table), with_table=True)
    back = unpack(packed)
    assert back.frames == [b"frame-1", b"frame-22"] and back.table is not None and back.table.equals(table)
    assert (back.created, back.queried_range) == (1000.0, TimeRange(1, 2))
    assert unpack(pack(result([b"f"], table), with_table=False)).table is None


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[:-1],  # torn write
        lambda b: b[:-3] + bytes([b[-3] ^ 1]) + b[-2:],  # a flipped bit in a frame
        lambda b: b"XXXX" + b[4:],
        lambda b: b[:9] + b"!" + b[10:],  # broken header JSON
        lambda b: b[:10],
        lambda b: b"",
    ],
)
def test_damaged_entries_are_refused(damage: object) -> None:
    packed = pack(result([b"frame-bytes" * 10]), with_table=False)
    with pytest.raises(CorruptEntry):
        unpack(damage(packed))  # type: ignore[operator]


def test_store_drops_an_entry_whose_value_file_was_damaged(tmp_path: Path) -> None:
    store = ResultStore(tmp_path / "results", 10**8, memory_bytes=0)
    big = result([b"z" * 100_000])  # above diskcache's 32 KiB: kept in its own file
    store.put("k" * 64, big, ttl_s=60, tag="ds", with_table=False)
    (value_file,) = (tmp_path / "results").rglob("*.val")
    value_file.write_bytes(value_file.read_bytes()[:-10] + b"0123456789")
    assert store.get("k" * 64) is None
    assert store.get("k" * 64) is None  # dropped, not re-read
    store.close()


def test_store_never_unpickles_a_planted_row(tmp_path: Path) -> None:
    store = ResultStore(tmp_path / "results", 10**8, memory_bytes=0)
    store.put("a" * 64, result([b"ok"]), ttl_s=60, tag="ds", with_table=False)
    planted = pickle.dumps(["would run code on load"])
    for database in (tmp_path / "results").glob("*/cache.db"):
        with sqlite3.connect(database) as connection:  # mode 4 is diskcache's pickle mode
            connection.execute("UPDATE Cache SET mode = 4, value = ?", (planted,))
    assert store.get("a" * 64) is None
    with pytest.raises(TypeError):
        store._cache.set(("tuple", "key"), b"x")  # a pickled key is refused too
    store.close()


def test_store_clears_one_datasource(tmp_path: Path) -> None:
    store = ResultStore(tmp_path / "results", 10**8, memory_bytes=0)
    for i in range(5):
        store.put(f"{i:064x}", result([b"x"]), ttl_s=60, tag="one" if i < 3 else "two", with_table=False)
    assert store.clear_datasource("one") == 3
    assert [store.get(f"{i:064x}") is not None for i in range(5)] == [False, False, False, True, True]
    store.close()


def test_single_flight_runs_once_for_concurrent_callers() -> None:
    flights: SingleFlight[int] = SingleFlight()
    runs: list[int] = []
    release = threading.Event()

    def work(_: CancelToken) -> int:
        runs.append(1)
        release.wait(5)
        return 42

    answers: list[tuple[int, bool]] = []
    threads = [
        threading.Thread(target=lambda: answers.append(flights.run("k", CancelToken(), work, timeout_s=10)))
        for _ in range(20)
    ]
    for thread in threads:
        thread.start()
    time.sleep(0.2)
    release.set()
    for thread in threads:
        thread.join(5)
    assert len(runs) == 1 and len(answers) == 20
    assert {value for value, _ in answers} == {42} and sum(joined for _, joined in answers) == 19


def test_a_leaving_waiter_does_not_stop_the_others_but_the_last_one_does() -> None:
    flights: SingleFlight[str] = SingleFlight()
    stopped, running, left = threading.Event(), threading.Event(), threading.Event()

    def work(token: CancelToken) -> str:
        token.on_cancel(stopped.set)
        token.on_cancel(left.set)
        running.set()
        left.wait(5)  # the run outlasts the impatient waiter however slow the machine is
        return "done"

    outcomes: dict[str, object] = {}

    def wait(name: str, token: CancelToken) -> None:
        try:
            outcomes[name] = flights.run("k", token, work, timeout_s=10)
        except WaiterLeft:
            outcomes[name] = "left"
            left.set()

    patient = threading.Thread(target=wait, args=("patient", CancelToken()))
    patient.start()
    assert running.wait(5)
    impatient = threading.Thread(target=wait, args=("impatient", CancelToken(0.05)))  # joins the run, then leaves
    impatient.start()
    for thread in (impatient, patient):
        thread.join(10)
    assert outcomes["impatient"] == "left"
    assert isinstance(outcomes["patient"], tuple) and outcomes["patient"][0] == "done"
    assert not stopped.is_set()

    left.clear()
    alone = CancelToken(0.05)
    with pytest.raises(WaiterLeft):
        flights.run("k2", alone, work, timeout_s=10)
    assert stopped.wait(1), "the shared run was not cancelled when its last waiter left"


def test_errors_of_the_shared_run_reach_every_waiter() -> None:
    flights: SingleFlight[int] = SingleFlight()

    def work(_: CancelToken) -> int:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        flights.run("k", CancelToken(), work, timeout_s=1)
