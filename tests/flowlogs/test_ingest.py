"""The ingest cache: hits and misses, growth of an hour, eviction, threads, restarts, partial files,
hours built in parallel by one query and by concurrent queries, failures and cancellation."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.engines.duckdb import source as duckdb_source
from cloudsql_cos_ts.engines.duckdb.source import FlowLogSource
from cloudsql_cos_ts.errors import DownstreamTimeout
from cloudsql_cos_ts.flowlogs import ingest
from cloudsql_cos_ts.flowlogs.decode import SourceObject, object_key
from cloudsql_cos_ts.flowlogs.generator import generate
from cloudsql_cos_ts.flowlogs.ingest import IngestCache, IngestStats
from cloudsql_cos_ts.flowlogs.parallel import Job
from cloudsql_cos_ts.flowlogs.pruning import VnicPrefixCache, list_range
from cloudsql_cos_ts.flowlogs.scan import SourceScan
from cloudsql_cos_ts.storage.local import LocalStore
from cloudsql_cos_ts.timerange import TimeRange

HOUR = datetime(2026, 2, 1, 10, tzinfo=UTC)


@pytest.fixture
def hour_objects(tmp_path: Path) -> tuple[LocalStore, list[SourceObject]]:
    folder = tmp_path / "src"
    generate(folder, vnics=2, start=HOUR, end=HOUR + timedelta(hours=1), records_per_object=5)
    store = LocalStore(folder)
    time_range = TimeRange(int(HOUR.timestamp() * 1000), int((HOUR + timedelta(hours=1)).timestamp() * 1000))
    listed = list_range(store, "", time_range, CancelToken(), vnic_cache=VnicPrefixCache(), context=f"{folder}/")
    result = listed.prune()
    return store, result.listed[HOUR]


def _entry(
    cache: IngestCache,
    store: LocalStore,
    listed: list[SourceObject],
    needed: list[SourceObject],
    stats: IngestStats | None = None,
) -> Path:
    return cache.entry_for(
        store,
        cache.group_dir(store, "", "h"),
        listed=listed,
        needed=needed,
        cancel=CancelToken(),
        stats=stats or IngestStats(),
    )


def test_miss_then_hit(tmp_path: Path, hour_objects: tuple[LocalStore, list[SourceObject]]) -> None:
    store, objects = hour_objects
    cache = IngestCache(tmp_path / "cache", 1 << 30)
    cold, warm = IngestStats(), IngestStats()
    first = _entry(cache, store, objects, objects, cold)
    assert (cold.objects_read, cold.objects_cached, cold.entries_written) == (len(objects), 0, 1)
    assert _entry(cache, store, objects, objects, warm) == first
    assert (warm.objects_read, warm.objects_cached) == (0, len(objects))


def test_hour_grows_without_rereading(tmp_path: Path, hour_objects: tuple[LocalStore, list[SourceObject]]) -> None:
    store, objects = hour_objects
    cache = IngestCache(tmp_path / "cache", 1 << 30)
    _entry(cache, store, objects[:10], objects[:10])
    stats = IngestStats()
    path = _entry(cache, store, objects, objects, stats)
    assert (stats.objects_read, stats.objects_cached) == (len(objects) - 10, 10)
    assert len(set(pq.read_table(path, columns=["__key"])["__key"].to_pylist())) == len(objects)
    shrunk = _entry(cache, store, objects[5:], objects[5:])  # objects deleted from the bucket
    assert len(set(pq.read_table(shrunk, columns=["__key"])["__key"].to_pylist())) == len(objects) - 5


def test_restart_reuses_disk_and_ignores_partial_files(
    tmp_path: Path, hour_objects: tuple[LocalStore, list[SourceObject]]
) -> None:
    store, objects = hour_objects
    root = tmp_path / "cache"
    path = _entry(IngestCache(root, 1 << 30), store, objects, objects)
    (path.parent / ".tmp-123-9.parquet").write_bytes(b"PAR1 half written")
    (path.parent / ("f" * 64 + ".parquet")).write_bytes(b"garbage with an entry name")
    stats = IngestStats()
    assert _entry(IngestCache(root, 1 << 30), store, objects, objects, stats) == path
    assert stats.objects_read == 0
    assert not (path.parent / ("f" * 64 + ".parquet")).exists()


def test_concurrent_threads_build_once(tmp_path: Path, hour_objects: tuple[LocalStore, list[SourceObject]]) -> None:
    store, objects = hour_objects
    cache = IngestCache(tmp_path / "cache", 1 << 30)
    stats = [IngestStats() for _ in range(8)]
    with ThreadPoolExecutor(8) as pool:
        paths = list(pool.map(lambda s: _entry(cache, store, objects, objects, s), stats))
    assert len(set(paths)) == 1
    assert sum(s.objects_read for s in stats) == len(objects)
    assert sum(s.entries_written for s in stats) == 1


@pytest.mark.parametrize(("same_process", "reads_rows"), [(True, False), (False, True)])
def test_waiters_take_the_placed_entry_without_reading_its_rows(
    tmp_path: Path,
    hour_objects: tuple[LocalStore, list[SourceObject]],
    monkeypatch: pytest.MonkeyPatch,
    same_process: bool,
    reads_rows: bool,
) -> None:
    """Threads that waited on the group's lock re-read only entries another process placed."""
    store, objects = hour_objects
    root = tmp_path / "cache"
    first = IngestCache(root, 1 << 30)
    path = _entry(first, store, objects, objects)
    reads: list[Path] = []
    read_entry = ingest._read_entry
    monkeypatch.setattr(ingest, "_read_entry", lambda p: reads.append(p) or read_entry(p))
    cache = first if same_process else IngestCache(root, 1 << 30)
    with ThreadPoolExecutor(4) as pool:
        paths = set(pool.map(lambda _: _entry(cache, store, objects, objects), range(4)))
    assert paths == {path}
    assert set(reads) == ({path} if reads_rows else set())


def test_lru_eviction(tmp_path: Path, hour_objects: tuple[LocalStore, list[SourceObject]]) -> None:
    store, objects = hour_objects
    cache = IngestCache(tmp_path / "cache", 1 << 30)
    paths = [
        cache.entry_for(
            store,
            cache.group_dir(store, "", f"g{i}"),
            listed=objects,
            needed=objects,
            cancel=CancelToken(),
            stats=IngestStats(),
        )
        for i in range(3)
    ]
    for age, path in zip((3000, 2000, 1000), paths, strict=True):
        stamp = path.stat().st_mtime - age
        os.utime(path, (stamp, stamp))
    cache.max_bytes = paths[1].stat().st_size + paths[2].stat().st_size  # room for exactly the two newest
    assert cache.evict() == 1
    assert [p.exists() for p in paths] == [False, True, True]
    cache.max_bytes = 0
    assert cache.evict(protect=[paths[1]]) == 1
    assert [p.exists() for p in paths] == [False, True, False]


def _six_hour_source(tmp_path: Path) -> tuple[Path, FlowLogSource, TimeRange]:
    folder = tmp_path / "src"
    generate(folder, vnics=2, start=HOUR, end=HOUR + timedelta(hours=6), records_per_object=3)
    store = LocalStore(folder)
    source = FlowLogSource(store, "", IngestCache(tmp_path / "cache", 1 << 30), f"{folder}/")
    end = HOUR + timedelta(hours=6)
    return folder, source, TimeRange(int(HOUR.timestamp() * 1000), int(end.timestamp() * 1000))


def _objects(folder: Path) -> int:
    """Every generated object: the windows covering the six hours all end, and are written, after their start."""
    return len(list(folder.rglob("*.gz")))


def test_parallel_hours_under_concurrent_queries_build_each_entry_once(tmp_path: Path) -> None:
    folder, source, time_range = _six_hour_source(tmp_path)
    with ThreadPoolExecutor(6) as pool:
        scan = SourceScan(time_range)
        answers = list(pool.map(lambda _: source.relations(scan, frozenset({"FLOW_FLAT"}), CancelToken()), range(6)))
    assert len({a.views["FLOW_FLAT"] for a in answers}) == 1
    assert sum(int(a.stats["objects_read"]) for a in answers) == _objects(folder)
    entries = list((tmp_path / "cache").rglob("*.parquet"))
    assert len(entries) == 7 and not list((tmp_path / "cache").rglob(".tmp-*"))


@pytest.mark.parametrize(
    "damage",
    [b"\x1f\x8b not gzip at all", b'{"version": "0.0.1" "flow_logs": []}', b"{}\n{}", b'{"flow_logs": 7}'],
    ids=["truncated gzip", "invalid JSON", "two documents", "not a flow-log document"],
)
def test_a_damaged_object_is_left_out_recorded_and_read_again_once_replaced(tmp_path: Path, damage: bytes) -> None:
    folder, source, time_range = _six_hour_source(tmp_path)
    broken = sorted(folder.rglob("*.gz"))[40]
    good = broken.read_bytes()
    broken.write_bytes(damage)
    key = str(broken.relative_to(folder))
    answer = source.relations(SourceScan(time_range), frozenset({"FLOW_FLAT"}), CancelToken())
    assert answer.damaged == (key,) and answer.stats["objects_damaged"] == 1
    assert int(answer.stats["objects_read"]) == _objects(folder)
    assert len(list((tmp_path / "cache").rglob("*.parquet"))) == 7 and not list((tmp_path / "cache").rglob(".tmp-*"))
    rows = duckdb.sql(f"SELECT count(*) FROM ({answer.views['FLOW_FLAT']}) WHERE network_interface_id IS NULL")
    assert rows.fetchall() == [(0,)]  # the damaged object's marker row is no record
    unindexed = IngestCache(tmp_path / "cache", 1 << 30)  # another query's entries: read from the files
    entries = (tmp_path / "cache").rglob("*.parquet")
    assert [object_key(item) for path in entries for item in unindexed.damaged_in(path)] == [key]
    # A restarted plugin finds the object recorded as damaged (same ETag): not read again, still reported.
    restarted = FlowLogSource(source.store, "", IngestCache(tmp_path / "cache", 1 << 30), f"{folder}/")
    again = restarted.relations(SourceScan(time_range), frozenset({"FLOW_FLAT"}), CancelToken())
    assert (again.damaged, again.stats["objects_read"]) == ((key,), 0)
    broken.write_bytes(good)  # re-uploaded: a new ETag
    fixed = FlowLogSource(source.store, "", IngestCache(tmp_path / "cache", 1 << 30), f"{folder}/")
    answer = fixed.relations(SourceScan(time_range), frozenset({"FLOW_FLAT"}), CancelToken())
    assert (answer.damaged, answer.stats["objects_read"], answer.stats["objects_damaged"]) == ((), 1, 0)


def test_cancelling_a_parallel_ingest_stops_it(tmp_path: Path) -> None:
    _, source, time_range = _six_hour_source(tmp_path)
    token = CancelToken()
    token.cancel("timeout")
    with pytest.raises(DownstreamTimeout):
        source.relations(SourceScan(time_range), frozenset({"FLOW_FLAT"}), token)
    assert not list((tmp_path / "cache").rglob("*.parquet"))


def test_a_warm_query_looks_entries_up_without_ingest_jobs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder, source, time_range = _six_hour_source(tmp_path)
    source.relations(SourceScan(time_range), frozenset({"FLOW_FLAT"}), CancelToken())
    job_counts: list[int] = []
    real_run_jobs = duckdb_source.run_jobs

    def counting(jobs: list[Job[Path]], cancel: CancelToken) -> list[Path]:
        job_counts.append(len(jobs))
        return real_run_jobs(jobs, cancel)

    monkeypatch.setattr(duckdb_source, "run_jobs", counting)
    answer = source.relations(SourceScan(time_range), frozenset({"FLOW_FLAT"}), CancelToken())
    assert sum(job_counts) == 0  # no job at all (the entries may even come from the plan memo)
    assert (answer.stats["objects_read"], answer.stats["objects_cached"]) == (0, _objects(folder))


def test_eviction_deletes_temp_files_of_dead_writers_only(tmp_path: Path) -> None:
    cache = IngestCache(tmp_path / "cache", 1 << 30)
    group = tmp_path / "cache" / "g"
    group.mkdir(parents=True)
    dead, live = group / ".tmp-1-2.parquet", group / ".tmp-3-4.parquet"
    dead.write_bytes(b"half written")
    live.write_bytes(b"being written")
    old = time.time() - 3600
    os.utime(dead, (old, old))
    cache.evict()
    assert not dead.exists() and live.exists()
