"""Day entries of the ingest cache: which groups a range reads, hits and misses, invalidation when an
object of a day changes or arrives, same rows as hourly entries, rows copied between hour and day
entries, concurrency, restarts, eviction, cancellation and bounded row groups."""

from __future__ import annotations

import os
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.engines.duckdb.source import FlowLogSource, SourceRelations
from cloudsql_cos_ts.errors import QueryCancelled
from cloudsql_cos_ts.flowlogs import assemble, groups
from cloudsql_cos_ts.flowlogs.decode import ENTRY_SCHEMA, KEY, decode_objects
from cloudsql_cos_ts.flowlogs.fetch import fetch_objects
from cloudsql_cos_ts.flowlogs.generator import generate
from cloudsql_cos_ts.flowlogs.groups import entry_groups
from cloudsql_cos_ts.flowlogs.ingest import IngestCache
from cloudsql_cos_ts.flowlogs.pruning import VnicPrefixCache, list_range
from cloudsql_cos_ts.flowlogs.scan import SourceScan
from cloudsql_cos_ts.flowlogs.schema import FLOW, FLOW_FLAT
from cloudsql_cos_ts.flowlogs.spans import MERGER
from cloudsql_cos_ts.storage.local import LocalStore
from cloudsql_cos_ts.timerange import TimeRange

START = datetime(2026, 2, 1, tzinfo=UTC)
END = START + timedelta(days=3)
BOTH = frozenset({FLOW, FLOW_FLAT})


@pytest.fixture(scope="module")
def three_days(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("three-days")
    # windows end (and their objects are filed) by END: the three days' folders hold everything
    generate(folder, vnics=2, start=START, end=END - timedelta(minutes=5), records_per_object=2)
    return folder


def _objects(folder: Path, pattern: str = "*.gz") -> int:
    return len(list(folder.rglob(pattern)))


def _wanted_hours(folder: Path, start: datetime, end: datetime) -> list[datetime]:
    """The hour folders holding an object written since ``start`` - 1 min, from ``start`` - 10 min to ``end`` + 1 h
    (pruning's rule, stated here over the files themselves)."""
    first = (start - timedelta(minutes=10)).replace(minute=0, second=0, microsecond=0)
    last = end + timedelta(hours=1)
    cutoff = (start - timedelta(minutes=1)).timestamp()
    hours = set()
    for path in folder.rglob("*.gz"):
        y, mo, d, h = (int(str(path).split(f"/{n}=")[1].split("/")[0]) for n in ("year", "month", "day", "hour"))
        hour = datetime(y, mo, d, h, tzinfo=UTC)
        if first <= hour <= last and path.stat().st_mtime >= cutoff:
            hours.add(hour)
    return sorted(hours)


@pytest.fixture(autouse=True)
def _no_spans(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests count and compare day entries: no span is merged beside them (``test_spans.py``)."""
    monkeypatch.setattr(MERGER, "request", lambda entries, span: False)


@pytest.fixture
def own_copy(three_days: Path, tmp_path: Path) -> Path:
    """A copy of the set that a test may change (file times kept, so ETags and pruning are the same)."""
    return Path(shutil.copytree(three_days, tmp_path / "src"))


def _range(start: datetime, end: datetime) -> TimeRange:
    return TimeRange(int(start.timestamp() * 1000), int(end.timestamp() * 1000))


def _query(
    folder: Path, cache: IngestCache, start: datetime = START, end: datetime = END, token: CancelToken | None = None
) -> SourceRelations:
    """A fresh source (no shared listing, no remembered plan), as after a restart or in another process."""
    source = FlowLogSource(LocalStore(folder), "", cache, f"{folder}/")
    return source.relations(SourceScan(_range(start, end)), BOTH, token or CancelToken())


def _rows(relations: SourceRelations, name: str) -> list[str]:
    return sorted(map(repr, duckdb.sql(f"SELECT * FROM ({relations.views[name]})").fetchall()))


def _entries(root: Path) -> list[Path]:
    return sorted(root.rglob("*.parquet"))


def _hours_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """No day counts as settled: every range is read hour by hour, as before day entries."""
    monkeypatch.setattr(groups, "DAY_SETTLE", timedelta(days=100_000))


def test_groups_are_days_inside_the_range_and_hours_at_its_edges(three_days: Path) -> None:
    store = LocalStore(three_days)
    pruned = list_range(
        store,
        "",
        _range(START + timedelta(hours=12), END - timedelta(hours=18)),
        CancelToken(),
        vnic_cache=VnicPrefixCache(),
        context=f"{three_days}/",
    ).prune()
    names = [g.name for g in entry_groups(pruned, now=END + timedelta(days=1))]
    hours = _wanted_hours(three_days, START + timedelta(hours=12), END - timedelta(hours=18))
    first_day = [h.isoformat() for h in hours if h.day == 1]
    last_day = [h.isoformat() for h in hours if h.day == 3]
    assert first_day[-1] == "2026-02-01T23:00:00+00:00" and last_day[0] == "2026-02-03T00:00:00+00:00"
    assert names == [*first_day, "day/2026-02-02", *last_day]
    day = next(g for g in entry_groups(pruned, now=END + timedelta(days=1)) if g.name.startswith("day/"))
    assert len(day.needed) == _objects(three_days, "day=02/*/*/*.gz") and day.needed_ids == day.listed_ids
    assert day.donors == tuple(f"2026-02-02T{h:02d}:00:00+00:00" for h in range(24))
    unsettled = entry_groups(pruned, now=START + timedelta(days=2, hours=1))  # Feb 2 ended an hour ago
    index = len(first_day)
    assert [g.name for g in unsettled][index:index + 2] == ["2026-02-02T00:00:00+00:00", "2026-02-02T01:00:00+00:00"]
    assert unsettled[index].donors == ("day/2026-02-02",)


def test_day_entry_miss_then_hit(three_days: Path, tmp_path: Path) -> None:
    cache = IngestCache(tmp_path / "cache", 1 << 30)
    cold = _query(three_days, cache)
    assert (cold.stats["entries"], cold.stats["objects_read"]) == (3, _objects(three_days))
    warm = _query(three_days, cache)
    assert (warm.stats["objects_read"], warm.stats["objects_cached"]) == (0, _objects(three_days))
    assert len(_entries(tmp_path / "cache")) == 3
    assert warm.views == cold.views


def test_a_changed_or_added_object_rebuilds_its_day_copying_the_other_rows(own_copy: Path, tmp_path: Path) -> None:
    cache = IngestCache(tmp_path / "cache", 1 << 30)
    _query(own_copy, cache)
    day_two = sorted(own_copy.rglob("day=02/hour=05/*/*.gz"))
    changed, template = day_two[0], day_two[1]
    stamp = changed.stat().st_mtime_ns
    os.utime(changed, ns=(stamp + 1000, stamp + 1000))  # same bytes, new version (ETag)
    added = template.with_name("99999999.gz")
    shutil.copy2(template, added)
    after = _query(own_copy, cache)
    assert (after.stats["objects_read"], after.stats["objects_cached"]) == (2, _objects(own_copy) - 2)
    assert len(_entries(tmp_path / "cache")) == 4  # the old Feb 2 entry stays until evicted
    fresh = _query(own_copy, IngestCache(tmp_path / "fresh", 1 << 30))
    assert _rows(after, FLOW_FLAT) == _rows(fresh, FLOW_FLAT)
    assert _rows(after, FLOW) == _rows(fresh, FLOW)


def test_a_partial_range_reads_day_and_hour_entries_with_the_rows_of_hourly_entries(
    three_days: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    start, end = START + timedelta(hours=12, minutes=30), END - timedelta(hours=17, minutes=45)
    compacted = _query(three_days, IngestCache(tmp_path / "days", 1 << 30), start, end)
    hours = _wanted_hours(three_days, start, end)
    edges = sum(h.day != 2 for h in hours)  # Feb 1 from about 12:20, Feb 3 to 07:00: an entry per hour
    assert compacted.stats["entries"] == edges + 1
    _hours_only(monkeypatch)
    hourly = _query(three_days, IngestCache(tmp_path / "hours", 1 << 30), start, end)
    assert hourly.stats["entries"] == edges + 24
    assert compacted.stats["objects_cached"] + compacted.stats["objects_read"] == hourly.stats["objects_read"]
    for name in (FLOW_FLAT, FLOW):
        assert _rows(compacted, name) == _rows(hourly, name)


def test_edge_hours_are_cut_from_day_entries_and_days_compacted_from_hours(
    three_days: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    days = IngestCache(tmp_path / "days", 1 << 30)
    _query(three_days, days)
    edges = _query(three_days, days, START + timedelta(hours=12), END - timedelta(hours=18))
    wanted = _wanted_hours(three_days, START + timedelta(hours=12), END - timedelta(hours=18))
    edge_hours = sum(h.day != 2 for h in wanted)
    assert (edges.stats["objects_read"], edges.stats["entries"]) == (0, edge_hours + 1)

    hours = IngestCache(tmp_path / "hours", 1 << 30)
    with monkeypatch.context() as patch:
        _hours_only(patch)
        assert _query(three_days, hours).stats["entries"] == 3 * 24
    compacted = _query(three_days, hours)
    assert (compacted.stats["objects_read"], compacted.stats["entries"]) == (0, 3)


def test_decoded_rows_have_the_entry_layout_with_object_strings_as_dictionaries(three_days: Path) -> None:
    objects = sorted(three_days.rglob("day=01/hour=07/*/*.gz"))
    store = LocalStore(three_days)
    pruned = list_range(
        store,
        "",
        _range(START + timedelta(hours=7), START + timedelta(hours=7, minutes=59)),
        CancelToken(),
        vnic_cache=VnicPrefixCache(),
        context=f"{three_days}/",
    ).prune()
    hour = START + timedelta(hours=7)
    table = decode_objects(list(fetch_objects(store, pruned.needed[hour], CancelToken())))
    assert table.schema.equals(ENTRY_SCHEMA) and len(pruned.needed[hour]) == len(objects)
    assert pa.types.is_dictionary(table.schema.field(KEY).type)
    assert len(table.column(KEY).chunk(0).dictionary) == len(objects)  # one value per object, not per row


def test_entries_written_with_plain_strings_still_give_their_rows(
    three_days: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hour entries of an earlier version (no dictionary columns) are copied into a day entry."""
    root = tmp_path / "cache"
    with monkeypatch.context() as patch:
        _hours_only(patch)
        hourly = _query(three_days, IngestCache(root, 1 << 30))
    for path in _entries(root):
        table = pq.read_table(path)
        fields = [pa.field(f.name, pa.string()) if pa.types.is_dictionary(f.type) else f for f in table.schema]
        pq.write_table(table.cast(pa.schema(fields)), path, compression="zstd")
    compacted = _query(three_days, IngestCache(root, 1 << 30))
    assert (compacted.stats["objects_read"], compacted.stats["entries"]) == (0, 3)
    assert _rows(compacted, FLOW_FLAT) == _rows(hourly, FLOW_FLAT)


def test_concurrent_queries_build_each_day_once(three_days: Path, tmp_path: Path) -> None:
    cache = IngestCache(tmp_path / "cache", 1 << 30)
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _: _query(three_days, cache), range(6)))
    assert sum(int(a.stats["objects_read"]) for a in answers) == _objects(three_days)
    assert len({a.views[FLOW_FLAT] for a in answers}) == 1
    assert len(_entries(tmp_path / "cache")) == 3 and not list((tmp_path / "cache").rglob(".tmp-*"))


def test_restart_reuses_day_entries_and_ignores_partial_files(three_days: Path, tmp_path: Path) -> None:
    root = tmp_path / "cache"
    first = _query(three_days, IngestCache(root, 1 << 30))
    day_dir = _entries(root)[0].parent
    (day_dir / ".tmp-123-9.parquet").write_bytes(b"PAR1 half written")
    (day_dir / ("f" * 64 + ".parquet")).write_bytes(b"garbage with an entry name")
    again = _query(three_days, IngestCache(root, 1 << 30))
    assert again.stats["objects_read"] == 0 and again.views == first.views
    assert not (day_dir / ("f" * 64 + ".parquet")).exists()


def test_lru_eviction_counts_day_entries(three_days: Path, tmp_path: Path) -> None:
    root = tmp_path / "cache"
    cache = IngestCache(root, 1 << 30)
    _query(three_days, cache)
    days = set(_entries(root))
    _query(three_days, cache, START + timedelta(hours=12), START + timedelta(hours=13))
    hours = set(_entries(root)) - days
    assert len(days) == 3 and hours
    assert cache.total_bytes() == sum(f.stat().st_size for f in days | hours)
    for age, path in enumerate([*days, *hours][::-1], start=1):  # the day entries are the least recently used
        stamp = time.time() - 1000 * age
        os.utime(path, (stamp, stamp))
    cache.max_bytes = sum(f.stat().st_size for f in hours)
    assert cache.evict() == 3
    assert set(_entries(root)) == hours


def test_cancelling_a_day_build_leaves_no_entry_and_no_temp_file(
    three_days: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = CancelToken()
    real_decode = assemble.decode_objects
    calls: list[int] = []

    def decode_then_cancel(objects: Any) -> Any:
        calls.append(1)
        if len(calls) == 3:  # mid-day: some hours are written already
            token.cancel("cancelled")
        return real_decode(objects)

    monkeypatch.setattr(assemble, "decode_objects", decode_then_cancel)
    monkeypatch.setattr(assemble, "DECODE_CHUNK_BYTES", 0)  # each hour decoded on its own: a day takes many calls
    with pytest.raises(QueryCancelled):
        _query(three_days, IngestCache(tmp_path / "cache", 1 << 30), token=token)
    assert not _entries(tmp_path / "cache") and not list((tmp_path / "cache").rglob(".tmp-*"))


def test_entries_are_written_in_row_groups_of_bounded_size(
    three_days: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(assemble, "ROW_GROUP_ROWS", 500)
    relations = _query(three_days, IngestCache(tmp_path / "cache", 1 << 30))
    day = max(_entries(tmp_path / "cache"), key=lambda f: f.stat().st_size)
    meta = pq.ParquetFile(day).metadata
    sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    assert max(sizes) <= 500 and sum(sizes[:-1]) == 500 * (len(sizes) - 1) and meta.num_rows > 1000
    count = duckdb.sql(f"SELECT count(*) FROM ({relations.views[FLOW_FLAT]})").fetchall()[0][0]
    assert count > 0
