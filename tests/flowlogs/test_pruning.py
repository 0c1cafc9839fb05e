"""Partition pruning: what is listed and read for 1 h, 24 h and 7 d ranges."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.engines.duckdb.source import build_duckdb_source
from cloudsql_cos_ts.errors import DownstreamTimeout, QueryCancelled
from cloudsql_cos_ts.flowlogs import pruning, ttl_cache
from cloudsql_cos_ts.flowlogs.generator import GenerationSummary, generate
from cloudsql_cos_ts.flowlogs.pruning import (
    LISTING_TTL_S,
    SETTLED_LISTING_TTL_S,
    Listing,
    ListingCache,
    RangeListing,
    VnicPrefixCache,
    find_vnic_prefixes,
    folder_cache,
    hours_for,
    in_parallel,
    list_range,
    listing_cache,
)
from cloudsql_cos_ts.flowlogs.scan import SourceScan
from cloudsql_cos_ts.flowlogs.schema import FLOW_FLAT
from cloudsql_cos_ts.flowlogs.ttl_cache import TtlCache
from cloudsql_cos_ts.settings.datasource import DatasourceSettings
from cloudsql_cos_ts.settings.locations import LocalLocation
from cloudsql_cos_ts.settings.plugin import PluginSettings
from cloudsql_cos_ts.storage.base import ObjectStore
from cloudsql_cos_ts.storage.cos import CosStore
from cloudsql_cos_ts.storage.local import LocalStore
from cloudsql_cos_ts.timerange import TimeRange
from tests.flowlogs.conftest import WEEK_END


def _range(start: datetime, end: datetime) -> TimeRange:
    return TimeRange(_ms(start), _ms(end))


def _list_fresh(
    store: LocalStore, folder: Path, start: datetime, vnics: VnicPrefixCache, listings: ListingCache
) -> RangeListing:
    """Up to the week's end from ``start``, listed anew (``fresh``: an alert's listing) through the given caches."""
    return list_range(
        store,
        "",
        _range(start, WEEK_END),
        CancelToken(),
        vnic_cache=vnics,
        listings=listings,
        context=f"{folder}/",
        fresh=True,
    )


def _ms(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)


@pytest.mark.parametrize(
    ("start", "end", "first", "last"),
    [
        (datetime(2026, 5, 1, 10, 5), datetime(2026, 5, 1, 11, 30), datetime(2026, 5, 1, 9), datetime(2026, 5, 1, 12)),
        (
            datetime(2026, 5, 1, 10, 30),
            datetime(2026, 5, 1, 10, 40),
            datetime(2026, 5, 1, 10),
            datetime(2026, 5, 1, 11),
        ),
        # the margins stop at the years 1 and 9999 instead of failing
        (datetime(1, 1, 1), datetime(1, 1, 1, 0, 5), datetime(1, 1, 1), datetime(1, 1, 1, 1)),
        (
            datetime(9999, 12, 31, 23),
            datetime(9999, 12, 31, 23, 59, 59, 999000),
            datetime(9999, 12, 31, 22),
            datetime(9999, 12, 31, 23),
        ),
    ],
)
def test_hours_margin(start: datetime, end: datetime, first: datetime, last: datetime) -> None:
    span = hours_for(_range(start.replace(tzinfo=UTC), end.replace(tzinfo=UTC)))
    assert (span.first, span.last) == (first.replace(tzinfo=UTC), last.replace(tzinfo=UTC))


def test_vnic_prefixes_found_by_delimiter_walk(week_set: tuple[Path, GenerationSummary]) -> None:
    folder, _ = week_set
    prefixes, calls = find_vnic_prefixes(LocalStore(folder), "")
    assert len(prefixes) == 4 and {p.rsplit("=", 1)[1] for p in prefixes} == {"ingress/", "egress/"}
    assert calls < 20
    deeper = prefixes[0].rsplit("/vnic-id=", 1)[0] + "/"
    assert len(find_vnic_prefixes(LocalStore(folder), deeper)[0]) == 2


PER_HOUR = 2 * 2 * 12  # two vNICs' ingress and egress objects, one per window of about five minutes


@pytest.mark.parametrize("hours", [1, 24, 168])
def test_objects_read_grow_with_range(week_set: tuple[Path, GenerationSummary], tmp_path: Path, hours: int) -> None:
    folder, _ = week_set
    settings = DatasourceSettings(uid="p", name="p", last_updated_ms=0, source=LocalLocation(folder))
    source = build_duckdb_source(settings, PluginSettings(cache_dir=tmp_path))
    assert source is not None
    stats = source.relations(
        SourceScan(_range(WEEK_END - timedelta(hours=hours), WEEK_END)), frozenset({FLOW_FLAT}), CancelToken()
    ).stats
    # the range's windows, a few more where flushes cut one short, and the windows ending just after it
    assert PER_HOUR * hours <= stats["objects_read"] <= PER_HOUR * hours * 1.1 + 8
    assert stats["objects_listed"] <= PER_HOUR * 1.1 * (hours + 2)


@pytest.mark.parametrize(
    ("from_end", "to_end", "cut"),
    [
        (timedelta(hours=1), timedelta(0), True),
        (timedelta(hours=30, minutes=17), timedelta(hours=2, minutes=41), True),  # the cutoff inside an hour
        (timedelta(days=7), timedelta(0), False),  # the set's first objects: none listed before the cutoff
    ],
)
def test_the_needed_counts_bytes_and_cutoff_window(
    week_set: tuple[Path, GenerationSummary], from_end: timedelta, to_end: timedelta, cut: bool
) -> None:
    """The per-hour byte totals (summed once per listing) give what the needed objects add up to, and the window
    of cutoffs that need the same objects is bounded by the listed objects' LastModified on either side."""
    folder, _ = week_set
    listed = list_range(
        LocalStore(folder),
        "",
        _range(WEEK_END - from_end, WEEK_END - to_end),
        CancelToken(),
        vnic_cache=VnicPrefixCache(),
        context=f"{folder}/",
    )
    result = listed.prune()
    needed = [obj for objects in result.needed.values() for obj in objects]
    assert any(obj.last_modified < result.cutoff for objects in result.listed.values() for obj in objects) is cut
    assert result.objects_needed == len(needed) > 0
    assert result.bytes_needed == sum(obj.size for obj in needed)
    moments = [obj.last_modified for objects in result.listed.values() for obj in objects]
    before, since = [m for m in moments if m < result.cutoff], [m for m in moments if m >= result.cutoff]
    assert (result.cutoffs.after, result.cutoffs.until) == (max(before, default=None), min(since, default=None))


def test_one_hour_reads_at_most_a_twentieth_of_a_day(week_set: tuple[Path, GenerationSummary]) -> None:
    folder, _ = week_set
    store, cache = LocalStore(folder), VnicPrefixCache()

    def needed(hours: int) -> int:
        listed = list_range(
            store,
            "",
            _range(WEEK_END - timedelta(hours=hours), WEEK_END),
            CancelToken(),
            vnic_cache=cache,
            context=f"{folder}/",
        )
        result = listed.prune()
        return sum(len(v) for v in result.needed.values())

    assert needed(1) * 20 <= needed(24)


@pytest.mark.parametrize(("reason", "error"), [("cancelled", QueryCancelled), ("timeout", DownstreamTimeout)])
def test_cancelled_listing_raises(week_set: tuple[Path, GenerationSummary], reason: str, error: type) -> None:
    folder, _ = week_set
    token = CancelToken()
    token.cancel(reason)  # type: ignore[arg-type]
    with pytest.raises(error):
        list_range(
            LocalStore(folder),
            "",
            _range(WEEK_END - timedelta(hours=3), WEEK_END),
            token,
            vnic_cache=VnicPrefixCache(),
            context=f"{folder}/",
        )


def test_listings_are_shared_briefly_then_refreshed(tmp_path: Path) -> None:
    folder = tmp_path / "src"
    start = WEEK_END - timedelta(hours=2)
    generate(folder, vnics=1, start=start, end=WEEK_END, records_per_object=1)
    store, vnics, listings = LocalStore(folder), VnicPrefixCache(), TtlCache[tuple[str, str], Listing](0.3)

    def pruned() -> tuple[int, int]:
        result = list_range(
            store, "", _range(start, WEEK_END), CancelToken(), vnic_cache=vnics, listings=listings, context=f"{folder}/"
        ).prune()
        return sum(len(v) for v in result.listed.values()), result.list_calls

    listed, calls = pruned()
    assert calls > 0
    assert pruned() == (listed, 0)  # a second panel right after lists nothing
    newest = max(folder.rglob("*.gz"))
    shutil.copy2(newest, newest.with_name("99999999.gz"))
    assert pruned() == (listed, 0)
    time.sleep(0.35)
    assert pruned()[0] == listed + 1


@pytest.mark.parametrize(("kind", "threaded"), [(LocalStore, False), (CosStore, True)])
def test_store_calls_run_on_threads_only_where_they_wait_on_the_network(kind: type, threaded: bool) -> None:
    """A local folder's list calls wait on nothing: more threads than the caller's only hand the GIL around."""
    store: ObjectStore = kind.__new__(kind)  # which store it is decides; its calls are not made here
    callers = in_parallel(store, list(range(4)), lambda _: threading.current_thread())
    assert any(caller is not threading.current_thread() for caller in callers) is threaded


def test_walked_folders_listed_moments_ago_start_no_thread(
    week_set: tuple[Path, GenerationSummary], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A year's range walks the day folders; a second panel right after takes them from the folder cache."""
    folder, _ = week_set
    store, vnics, listings, folders = LocalStore(folder), VnicPrefixCache(), listing_cache(), folder_cache()
    threaded: list[int] = []
    original = pruning.in_parallel

    def counted(store: ObjectStore, items: list[str], run: Callable[[str], Any]) -> list[Any]:
        threaded.append(len(items))
        return original(store, items, run)

    monkeypatch.setattr(pruning, "in_parallel", counted)

    def listed() -> tuple[int, int]:
        result = list_range(
            store,
            "",
            _range(WEEK_END - timedelta(days=365), WEEK_END),
            CancelToken(),
            vnic_cache=vnics,
            listings=listings,
            folders=folders,
            context=f"{folder}/",
        ).prune()
        return sum(len(v) for v in result.listed.values()), result.list_calls

    first, calls = listed()
    assert first > 0 and calls > 0 and sum(threaded) > 0
    threaded.clear()
    assert listed() == (first, 0)
    assert sum(threaded) == 0  # nothing listed, so no thread pool either


def test_settled_listings_outlive_fresh_listings_for_a_bounded_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An alert's fresh listing takes the shared listings of settled prefixes: an object copied late into
    a settled hour shows up once that listing is older than SETTLED_LISTING_TTL_S (the documented bound;
    the listing memo's clock is moved instead of waiting); a new object of an unsettled hour shows up at once."""
    clock = [1000.0]
    monkeypatch.setattr(ttl_cache, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    folder = tmp_path / "src"
    start = WEEK_END - timedelta(days=2)
    generate(folder, vnics=1, start=start, end=WEEK_END, records_per_object=1)
    store, vnics, listings = LocalStore(folder), VnicPrefixCache(), listing_cache()

    def fresh() -> tuple[int, int]:
        result = _list_fresh(store, folder, start, vnics, listings).prune()
        return sum(len(v) for v in result.listed.values()), result.list_calls

    listed, calls = fresh()
    # the range's hour before its first day and its first day are settled; its last day and the two hours
    # after it (up to an hour after the range's end) are not
    assert calls == 9 + 2 * 5  # the walk to the two record-type prefixes, then five listings below each
    late_in_settled = min(folder.rglob("day=06/hour=12/*/*.gz"))
    new_in_unsettled = max(folder.rglob("day=07/hour=23/*/*.gz"))
    for found in (late_in_settled, new_in_unsettled):
        shutil.copy2(found, found.with_name("99999999.gz"))
    clock[0] += LISTING_TTL_S + 1  # past the dashboards' sharing: only the settled listings are kept
    assert fresh() == (listed + 1, 2 * 3)  # the last day and the two hours after it, listed anew
    clock[0] += SETTLED_LISTING_TTL_S - LISTING_TTL_S
    assert fresh() == (listed + 2, 9 + 2 * 5)  # the settled listings too, now older than their TTL (and the vNICs')


def test_a_prefix_listed_anew_is_the_same_listing_until_its_objects_change(tmp_path: Path) -> None:
    """What queries derive from a listing is keyed on its identity (plans.py): listing a prefix again
    that holds the same objects must give the very same listing, and a changed one reuses the parsed keys."""
    folder = tmp_path / "src"
    start = WEEK_END - timedelta(hours=3)
    generate(folder, vnics=1, start=start, end=WEEK_END, records_per_object=1)
    store, vnics = LocalStore(folder), VnicPrefixCache()
    listings = TtlCache[tuple[str, str], Listing](0.0, keep_s=60)

    def fresh() -> tuple[Listing, ...]:
        return _list_fresh(store, folder, start, vnics, listings).listings

    first, again = fresh(), fresh()
    assert len(first) > 1 and all(mine is theirs for mine, theirs in zip(first, again, strict=True))
    newest = max(folder.rglob("*.gz"))
    shutil.copy2(newest, newest.with_name("99999999.gz"))
    changed = [(old, new) for old, new in zip(again, fresh(), strict=True) if old is not new]
    assert len(changed) == 1
    old, new = changed[0]
    before = {obj.key: obj for part in old.values() for obj in part.objects}
    after = {obj.key: obj for part in new.values() for obj in part.objects}
    assert len(after) == len(before) + 1 and all(after[key] is obj for key, obj in before.items())
