"""A long-settled day's manifest stands in for its listing: when, and that it lists what the bucket holds."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.flowlogs.lake.compact import list_day
from cloudsql_cos_ts.flowlogs.lake.manifest import LakeManifest, read_manifest, write_manifest
from cloudsql_cos_ts.flowlogs.lake.read import LakeReader
from cloudsql_cos_ts.flowlogs.pruning import PruneResult, VnicPrefixCache, list_range
from cloudsql_cos_ts.storage.base import ObjectInfo
from cloudsql_cos_ts.timerange import LATEST_MS, TimeRange
from tests.flowlogs.lake.conftest import DAY, DAY_START, LakeWorld

DAY_END = DAY_START + timedelta(days=1)
HOUR = timedelta(hours=1)


def reader(world: LakeWorld, *, after_end: timedelta, trust_after: timedelta = 6 * HOUR) -> LakeReader:
    """A reader whose clock stands ``after_end`` after the day's end."""
    return LakeReader(world.lake, trust_after=trust_after, clock=lambda: DAY_END + after_end)


def manifest(world: LakeWorld) -> LakeManifest:
    found = read_manifest(world.lake, DAY)
    assert found is not None
    return found


def trusted(world: LakeWorld, **clock: timedelta) -> bool:
    return DAY in reader(world, **clock).trusted_listings([DAY], world.raw.context)


def test_a_manifest_keeps_every_objects_listing_as_the_bucket_gave_it(world: LakeWorld) -> None:
    world.compact()
    listed = {ObjectInfo(o.key, o.size, o.etag, o.last_modified) for o in list_day(world.raw, DAY, CancelToken())}
    kept = manifest(world)
    assert kept.lists_objects and set(kept.listing) == listed
    assert LakeManifest.from_json(kept.to_json(), DAY) == kept


@pytest.mark.parametrize(
    ("after_end", "trust_after", "expected"),
    [
        (6 * HOUR - timedelta(seconds=1), 6 * HOUR, False),
        (6 * HOUR, 6 * HOUR, True),
        (30 * 24 * HOUR, 6 * HOUR, True),
        (HOUR, timedelta(0), False),  # not settled yet, whatever the setting says
        (2 * HOUR, timedelta(0), True),
    ],
    ids=["inside the bound", "at the bound", "a month on", "unsettled", "settled, no bound"],
)
def test_a_day_is_trusted_from_the_bound_after_its_end(
    world: LakeWorld, after_end: timedelta, trust_after: timedelta, expected: bool
) -> None:
    world.compact()
    assert trusted(world, after_end=after_end, trust_after=trust_after) is expected


def _without_listing(found: LakeManifest) -> LakeManifest:
    return replace(found, listing=())


def _written_unsettled(found: LakeManifest) -> LakeManifest:
    return replace(found, written=DAY_END + HOUR)


@pytest.mark.parametrize(
    "change", [_without_listing, _written_unsettled], ids=["written without listings", "written before it settled"]
)
def test_a_manifest_that_may_lack_objects_is_not_trusted(
    world: LakeWorld, change: Callable[[LakeManifest], LakeManifest]
) -> None:
    world.compact()
    write_manifest(world.lake, change(manifest(world)))
    assert not trusted(world, after_end=30 * 24 * HOUR)


def test_a_damaged_manifest_is_not_trusted(world: LakeWorld) -> None:
    world.compact()
    world.lake.store.put(world.lake.manifest_key(DAY), b"{not json")
    assert not trusted(world, after_end=30 * 24 * HOUR)


def test_compaction_adds_the_listing_to_a_manifest_written_without_it(world: LakeWorld) -> None:
    written = world.compact()
    write_manifest(world.lake, _without_listing(manifest(world)))
    again = world.compact()
    assert again.status == "current" and again.part == written.part
    assert manifest(world).lists_objects and trusted(world, after_end=30 * 24 * HOUR)


def _pruned(
    world: LakeWorld, lake: LakeReader | None, to_ms: int | None = None, from_ms: int | None = None
) -> PruneResult:
    end_ms = int(DAY_END.timestamp() * 1000) - 1 if to_ms is None else to_ms
    start_ms = int(DAY_START.timestamp() * 1000) if from_ms is None else from_ms
    return list_range(
        world.raw.store,
        "",
        TimeRange(start_ms, end_ms),
        CancelToken(),
        vnic_cache=VnicPrefixCache(),
        context=world.raw.context,
        trusted=None if lake is None else lake.trusted_listings,
    ).prune()


@pytest.mark.parametrize("to_ms", [None, LATEST_MS], ids=["the day", "open-ended (month and day folders walked)"])
def test_a_trusted_day_is_pruned_as_its_listing_would_be_without_listing_it(
    world: LakeWorld, to_ms: int | None
) -> None:
    world.compact()
    listed, vouched = _pruned(world, None, to_ms), _pruned(world, reader(world, after_end=30 * 24 * HOUR), to_ms)
    assert vouched.listed_ids == listed.listed_ids and vouched.needed_ids == listed.needed_ids
    assert {hour: [o.size for o in objs] for hour, objs in vouched.needed.items()} == {
        hour: [o.size for o in objs] for hour, objs in listed.needed.items()
    }
    streams, _ = VnicPrefixCache().prefixes(world.raw.store, "", world.raw.context)
    assert vouched.list_calls == listed.list_calls - len(streams)  # the day's list call per stream is gone


def test_the_same_manifest_gives_the_very_same_listing(world: LakeWorld) -> None:
    """Queries of the next minutes share it, so what they derived from it (plans.py) stays valid."""
    world.compact()
    lake = reader(world, after_end=30 * 24 * HOUR)
    first, second = (lake.trusted_listings([DAY], world.raw.context)[DAY] for _ in range(2))
    assert first is second


YEAR_BEFORE_MS = int((DAY_START - 365 * 24 * HOUR).timestamp() * 1000)


@pytest.mark.parametrize(
    ("from_ms", "to_ms"),
    [(None, None), (YEAR_BEFORE_MS, None), (None, LATEST_MS)],
    ids=["the day (named)", "a year up to it (folders walked)", "open-ended (folders walked)"],
)
def test_a_trusted_day_whose_raw_objects_expired_is_still_answered_from_the_lake(
    world: LakeWorld, from_ms: int | None, to_ms: int | None
) -> None:
    """A lifecycle rule may delete a day's raw objects once the lake holds it: even a range that walks the raw
    folders, where that day's folder is gone, gets the day from the lake's own day folders."""
    world.compact()
    before = _pruned(world, None, to_ms, from_ms)
    for day_folder in list(world.source.rglob(f"year={DAY:%Y}/month={DAY:%m}/day={DAY:%d}")):
        shutil.rmtree(day_folder)
    expired = _pruned(world, reader(world, after_end=30 * 24 * HOUR), to_ms, from_ms)
    assert expired.listed_ids == before.listed_ids and expired.needed_ids == before.needed_ids
    assert DAY_START not in _pruned(world, None, to_ms, from_ms).needed_ids  # the raw folders lack the day
