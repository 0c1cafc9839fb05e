"""The plan memo: panels sharing a range's listings reuse its entries, new listings or a deleted entry do not."""

from __future__ import annotations

import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.engines.duckdb import source as duckdb_source
from cloudsql_cos_ts.engines.duckdb.source import FlowLogSource
from cloudsql_cos_ts.flowlogs.generator import generate
from cloudsql_cos_ts.flowlogs.ingest import IngestCache
from cloudsql_cos_ts.flowlogs.plans import Plan, PlanMemo
from cloudsql_cos_ts.flowlogs.pruning import CutoffWindow, RangeListing, VnicPrefixCache, list_range
from cloudsql_cos_ts.flowlogs.scan import SourceScan
from cloudsql_cos_ts.flowlogs.schema import FLOW_FLAT
from cloudsql_cos_ts.flowlogs.ttl_cache import TtlCache
from cloudsql_cos_ts.storage.local import LocalStore
from cloudsql_cos_ts.timerange import TimeRange

START = datetime(2026, 3, 1, tzinfo=UTC)
END = START + timedelta(days=2)
RANGE = TimeRange(int(START.timestamp() * 1000), int(END.timestamp() * 1000))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    generate(tmp_path / "src", vnics=2, start=START, end=END, records_per_object=1)
    return tmp_path / "src"


def _source(folder: Path, cache_root: Path) -> FlowLogSource:
    return FlowLogSource(LocalStore(folder), "", IngestCache(cache_root, 1 << 30), f"{folder}/")


def test_panels_sharing_the_listings_reuse_the_plan(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = _source(folder, tmp_path / "cache")
    first = source.relations(SourceScan(RANGE), frozenset({FLOW_FLAT}), CancelToken())
    checks: list[Path] = []
    real = source.cache.cached_entry
    monkeypatch.setattr(
        source.cache, "cached_entry", lambda group_dir, **kw: checks.append(group_dir) or real(group_dir, **kw)
    )
    second = source.relations(SourceScan(RANGE), frozenset({FLOW_FLAT}), CancelToken())
    assert checks == [] and second.views == first.views
    objects = int(first.stats["objects_read"])
    assert objects >= 2 * 2 * 2 * 12 * 24  # two days of two vNICs' ingress and egress windows
    assert (second.stats["objects_read"], second.stats["objects_cached"], second.stats["list_calls"]) == (0, objects, 0)


def test_new_listings_are_planned_again_and_see_new_objects(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(duckdb_source, "listing_cache", lambda: TtlCache(0.0))  # every query lists anew
    source = _source(folder, tmp_path / "cache")
    before = source.relations(SourceScan(RANGE), frozenset({FLOW_FLAT}), CancelToken())
    template = sorted(folder.rglob("day=02/hour=03/*/*.gz"))[0]
    shutil.copy2(template, template.with_name("99999999.gz"))
    after = source.relations(SourceScan(RANGE), frozenset({FLOW_FLAT}), CancelToken())
    assert after.stats["objects_listed"] == int(before.stats["objects_listed"]) + 1
    assert (after.stats["objects_read"], after.views == before.views) == (1, False)


def test_a_plan_whose_entry_was_deleted_is_not_used(folder: Path, tmp_path: Path) -> None:
    source = _source(folder, tmp_path / "cache")
    source.relations(SourceScan(RANGE), frozenset({FLOW_FLAT}), CancelToken())
    gone = sorted((tmp_path / "cache").rglob("*.parquet"))[0]
    in_entry = len(set(pq.read_table(gone, columns=["__key"])["__key"].to_pylist()))
    gone.unlink()
    again = source.relations(SourceScan(RANGE), frozenset({FLOW_FLAT}), CancelToken())
    assert again.stats["objects_read"] == in_entry  # that entry's objects, downloaded again
    assert gone.exists()  # the same objects: the same entry name


def _starting(start: datetime) -> TimeRange:
    return TimeRange(int(start.timestamp() * 1000), RANGE.to_ms)


def test_a_later_start_that_needs_the_same_objects_reuses_the_plan(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A relative range asks again a little later: its cutoff moves, the objects it needs do not."""
    source = _source(folder, tmp_path / "cache")
    start = START + timedelta(hours=5)
    first = source.relations(SourceScan(_starting(start)), frozenset({FLOW_FLAT}), CancelToken())
    checks: list[Path] = []
    real = source.cache.cached_entry
    monkeypatch.setattr(
        source.cache, "cached_entry", lambda group_dir, **kw: checks.append(group_dir) or real(group_dir, **kw)
    )
    later = source.relations(
        SourceScan(_starting(start + timedelta(milliseconds=1))), frozenset({FLOW_FLAT}), CancelToken()
    )
    assert checks == [] and later.flat is not None and first.flat is not None
    assert later.flat.paths == first.flat.paths and later.stats["objects_cached"] == first.stats["objects_read"]


def test_a_cutoff_past_an_objects_modification_plans_again(folder: Path, tmp_path: Path) -> None:
    """Once the cutoff passes an object's LastModified that object is no longer needed: the plan made before
    must not serve, or the query would read entries holding it (and count it)."""
    source = _source(folder, tmp_path / "cache")
    start = START + timedelta(hours=5)
    first = source.relations(SourceScan(_starting(start)), frozenset({FLOW_FLAT}), CancelToken())
    store, vnics = LocalStore(folder), VnicPrefixCache()
    pruned = list_range(store, "", _starting(start), CancelToken(), vnic_cache=vnics, context=f"{folder}/").prune()
    until = pruned.cutoffs.until
    assert until is not None
    later_start = start + (until - pruned.cutoff) + timedelta(milliseconds=1)  # the cutoff just past ``until``
    later = source.relations(SourceScan(_starting(later_start)), frozenset({FLOW_FLAT}), CancelToken())
    again = list_range(store, "", _starting(later_start), CancelToken(), vnic_cache=vnics, context=f"{folder}/")
    assert again.prune().objects_needed < pruned.objects_needed
    assert later.stats["objects_cached"] == again.prune().objects_needed < first.stats["objects_read"]


def test_memo_matches_listings_by_identity_and_forgets_after_its_ttl(folder: Path) -> None:
    store, vnics = LocalStore(folder), VnicPrefixCache()

    def listed() -> RangeListing:
        return list_range(store, "", RANGE, CancelToken(), vnic_cache=vnics, context=f"{folder}/")

    memo, first = PlanMemo(ttl_s=0.2), listed()
    plan = Plan(first.listings, [], objects_listed=0, objects_needed=0, bytes_needed=0, cutoffs=CutoffWindow())
    memo.put(first, plan)
    assert memo.get(first) is plan
    again = listed()
    assert again.listings == first.listings and memo.get(again) is None  # equal, but listed anew
    time.sleep(0.25)
    assert memo.get(first) is None
