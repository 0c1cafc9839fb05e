"""Which day/hour prefixes a range lists: named directly when few, found from existing folders when many."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.engines.duckdb.source import build_duckdb_source
from cloudsql_cos_ts.flowlogs.generator import generate
from cloudsql_cos_ts.flowlogs.partitions import ENUMERATE_LIMIT, HourSpan, partition_jobs
from cloudsql_cos_ts.flowlogs.pruning import VnicPrefixCache, list_range
from cloudsql_cos_ts.flowlogs.scan import SourceScan
from cloudsql_cos_ts.flowlogs.schema import FLOW_FLAT
from cloudsql_cos_ts.settings.datasource import DatasourceSettings
from cloudsql_cos_ts.settings.locations import LocalLocation
from cloudsql_cos_ts.settings.plugin import PluginSettings
from cloudsql_cos_ts.storage.local import LocalStore
from cloudsql_cos_ts.timerange import EARLIEST_MS, LATEST_MS, TimeRange

VNIC = "v/"
MAY = [f"v/year=2026/month=05/day={day:02d}/" for day in range(1, 32)]
FOLDERS = {  # a bucket holding two days of one vNIC, in May 2026
    "v/": ["v/year=2026/"],
    "v/year=2026/": ["v/year=2026/month=05/"],
    "v/year=2026/month=05/": ["v/year=2026/month=05/day=07/", "v/year=2026/month=05/day=08/"],
}


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


NOW = _utc(2026, 5, 8, 12)  # the data's last day, at noon
MONTH = ["v/", "v/year=2026/", "v/year=2026/month=05/"]  # the walk down to the data's days


def _jobs(first: datetime, last: datetime, now: datetime = NOW) -> tuple[list[str], list[str]]:
    listed: list[str] = []

    def list_folders(paths: list[str]) -> list[list[str]]:
        listed.extend(paths)
        return [FOLDERS.get(path, []) for path in paths]

    return partition_jobs([VNIC], HourSpan(first, last), list_folders, now), listed


@pytest.mark.parametrize(
    ("first", "last", "jobs", "listed"),
    [
        # a few hours of one day: each hour named, nothing walked
        (_utc(2026, 5, 8, 9), _utc(2026, 5, 8, 11), [f"v/year=2026/month=05/day=08/hour={h:02d}/" for h in (9, 10, 11)],
         []),
        # a whole day is one listing; the cut day's hours one each
        (_utc(2026, 5, 7), _utc(2026, 5, 8, 1), ["v/year=2026/month=05/day=07/", "v/year=2026/month=05/day=08/hour=00/",
                                                  "v/year=2026/month=05/day=08/hour=01/"], []),
        # a century: only the years, months and days that exist are walked (the data starts and ends in May)
        (_utc(1926, 1, 1), _utc(2026, 12, 31, 23), MAY[6:8], MONTH),
        # a wide range that ends inside the data's month keeps the hour edges
        (_utc(2000, 1, 1), _utc(2026, 5, 8, 0), [MAY[6], "v/year=2026/month=05/day=08/hour=00/"], MONTH),
        # a wide range with no folder in it lists the vNIC's years and nothing else
        (_utc(1900, 1, 1), _utc(2000, 1, 1), [], ["v/"]),
        # the edges of what a datetime holds
        (_utc(1, 1, 1), _utc(9999, 12, 31, 23), MAY[6:8], MONTH),
        # an open-ended scan from the data's last day names that day only, not the 23 days after it in May
        (_utc(2026, 5, 8), _utc(9999, 12, 31, 23), MAY[7:8], MONTH),
        # a few days past the data's end: the span runs on past the last month listed
        (_utc(2026, 4, 20), _utc(2026, 5, 31, 23), MAY[6:8], MONTH),
        # "This month": its 23 days after today are not named
        (_utc(2026, 5, 1), _utc(2026, 5, 31, 23), MAY[6:8], MONTH),
        # "Today": the next day's first hour is the only folder ahead, fewer than a walk would list
        (_utc(2026, 5, 8), _utc(2026, 5, 9), [MAY[7], "v/year=2026/month=05/day=09/hour=00/"], []),
        # a closed range over days that exist pays no listing
        (_utc(2026, 5, 2), _utc(2026, 5, 8, 1), [*MAY[1:7], "v/year=2026/month=05/day=08/hour=00/",
                                                  "v/year=2026/month=05/day=08/hour=01/"], []),
        (_utc(9999, 12, 31, 22), _utc(9999, 12, 31, 23), ["v/year=9999/month=12/day=31/hour=22/",
                                                           "v/year=9999/month=12/day=31/hour=23/"], []),
    ],
)
def test_jobs_follow_the_folders_that_exist(
    first: datetime, last: datetime, jobs: list[str], listed: list[str]
) -> None:
    assert _jobs(first, last) == (jobs, listed)


def test_a_range_of_up_to_the_limit_lists_no_folder() -> None:
    """A live range's folders exist: naming them directly saves the walk's round trips."""
    first = _utc(2026, 5, 1, 1)
    last = first + timedelta(days=ENUMERATE_LIMIT - 24)
    jobs, listed = _jobs(first, last, now=last)
    assert listed == [] and len(jobs) <= ENUMERATE_LIMIT


@pytest.mark.parametrize("child", ["year=abc/", "year=0/", "year=123456/", "month=05/", "stream-id=x/"])
def test_folders_that_name_no_year_are_skipped(child: str) -> None:
    def list_folders(paths: list[str]) -> list[list[str]]:
        return [[VNIC + child] for _ in paths]

    assert partition_jobs([VNIC], HourSpan(_utc(1900, 1, 1), _utc(2100, 1, 1)), list_folders, NOW) == []


def _ms(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)


def test_an_empty_century_lists_in_milliseconds_and_finds_the_same_objects(tmp_path: Path) -> None:
    """Issue 25: 1926 to 2026 over two hours of data named 877,000 hours and ran for a minute."""
    end = _utc(2026, 5, 8)
    generate(tmp_path, vnics=2, start=end - timedelta(hours=2), end=end, records_per_object=1)
    store = LocalStore(tmp_path)

    def listed(start: datetime) -> tuple[set[str], int, float]:
        began = time.process_time()
        result = list_range(store, "", TimeRange(_ms(start), _ms(end)), CancelToken(), vnic_cache=VnicPrefixCache(),
                            context=f"{tmp_path}/")
        keys = {obj.key for objects in result.prune().listed.values() for obj in objects}
        return keys, result.list_calls, time.process_time() - began

    near_keys, _, _ = listed(end - timedelta(hours=3))
    wide_keys, calls, cpu_s = listed(_utc(1926, 1, 1))
    assert wide_keys == near_keys and len(near_keys) == len(list(tmp_path.rglob("*.gz")))
    assert calls <= 2 * (2 + 31) + 12  # per vNIC: its years, a year's months, a month's days; + finding the vNICs
    assert cpu_s < 0.5


def test_objects_in_the_years_1_and_9999_are_read_by_a_range_over_all_of_time(tmp_path: Path) -> None:
    """The first and last hour a range may touch: no margin, day entry or cutoff steps past them."""
    for start in (_utc(1, 1, 1, 1), _utc(9999, 12, 31, 21)):
        generate(tmp_path / "data", vnics=1, start=start, end=start + timedelta(hours=1), records_per_object=1)
    settings = DatasourceSettings(uid="p", name="p", last_updated_ms=0, source=LocalLocation(tmp_path / "data"))
    source = build_duckdb_source(settings, PluginSettings(cache_dir=tmp_path / "cache"))
    assert source is not None
    everything = TimeRange(EARLIEST_MS, LATEST_MS)
    stats = source.relations(SourceScan(everything), frozenset({FLOW_FLAT}), CancelToken()).stats
    objects = list((tmp_path / "data").rglob("*.gz"))
    last_hours = {str(p).split("year=")[1].rsplit("/stream-id=", 1)[0] for p in objects if "year=9999" in str(p)}
    # the year 1's settled day in one entry, the year 9999's hours (its day has not ended) one each
    assert (stats["objects_listed"], stats["objects_read"], stats["entries"]) == (len(objects), len(objects),
                                                                                  1 + len(last_hours))


def test_an_open_ended_range_lists_only_the_months_that_exist_and_estimates_the_same(tmp_path: Path) -> None:
    """Issue 20 (W5): a scan from the data's last day to the year 9999 named every later day of the year per vNIC."""
    end = _utc(2026, 5, 8, 2)
    data = tmp_path / "data"
    generate(data, vnics=2, start=end - timedelta(hours=3), end=end, records_per_object=1)
    store = LocalStore(data)
    start = _utc(2026, 5, 7, 12)

    def listing(to: datetime) -> tuple[set[str], int]:
        result = list_range(
            store, "", TimeRange(_ms(start), _ms(to)), CancelToken(), vnic_cache=VnicPrefixCache(), context=f"{data}/"
        )
        return {obj.key for objects in result.prune().listed.values() for obj in objects}, result.list_calls

    closed_keys, closed_calls = listing(end)
    open_keys, open_calls = listing(_utc(9999, 12, 31, 23))
    assert open_keys == closed_keys and len(open_keys) == len(list(data.rglob("*.gz")))
    # per stream folder at most its years, the data's months and the month's days more than the closed range;
    # before, each of the 238 days from May 8 to the year's end was named
    streams, _ = VnicPrefixCache().prefixes(store, "", f"{data}/")
    assert open_calls <= closed_calls + 3 * len(streams)

    settings = DatasourceSettings(uid="e", name="e", last_updated_ms=0, source=LocalLocation(data))
    source = build_duckdb_source(settings, PluginSettings(cache_dir=tmp_path / "cache"))
    assert source is not None
    estimates = [
        source.estimate(SourceScan(TimeRange(_ms(start), _ms(to))), frozenset({FLOW_FLAT}), CancelToken())
        for to in (end, _utc(9999, 12, 31, 23))
    ]
    counts = [(e.objects, e.bytes, e.listed_objects, e.partitions_pruned) for e in estimates]
    assert counts[0] == counts[1] and counts[0][0] == len(open_keys)
