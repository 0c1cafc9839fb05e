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


def _jobs(first: datetime, last: datetime) -> tuple[list[str], list[str]]:
    listed: list[str] = []

    def list_folders(paths: list[str]) -> list[list[str]]:
        listed.extend(paths)
        return [FOLDERS.get(path, []) for path in paths]

    return partition_jobs([VNIC], HourSpan(first, last), list_folders), listed


@pytest.mark.parametrize(
    ("first", "last", "jobs", "listed"),
    [
        # a few hours of one day: each hour named, nothing walked
        (_utc(2026, 5, 8, 9), _utc(2026, 5, 8, 11), [f"v/year=2026/month=05/day=08/hour={h:02d}/" for h in (9, 10, 11)],
         []),
        # a whole day is one listing; the cut day's hours one each
        (_utc(2026, 5, 7), _utc(2026, 5, 8, 1), ["v/year=2026/month=05/day=07/", "v/year=2026/month=05/day=08/hour=00/",
                                                  "v/year=2026/month=05/day=08/hour=01/"], []),
        # a century: only the years and months that exist are walked; a month is named day by day
        (_utc(1926, 1, 1), _utc(2026, 12, 31, 23), MAY, ["v/", "v/year=2026/"]),
        # a wide range that ends inside the data's month keeps the hour edges
        (_utc(2000, 1, 1), _utc(2026, 5, 8, 0), [*MAY[:7], "v/year=2026/month=05/day=08/hour=00/"],
         ["v/", "v/year=2026/"]),
        # a wide range with no folder in it lists the vNIC's years and nothing else
        (_utc(1900, 1, 1), _utc(2000, 1, 1), [], ["v/"]),
        # the edges of what a datetime holds
        (_utc(1, 1, 1), _utc(9999, 12, 31, 23), MAY, ["v/", "v/year=2026/"]),
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
    jobs, listed = _jobs(first, last)
    assert listed == [] and len(jobs) <= ENUMERATE_LIMIT


@pytest.mark.parametrize("child", ["year=abc/", "year=0/", "year=123456/", "month=05/", "stream-id=x/"])
def test_folders_that_name_no_year_are_skipped(child: str) -> None:
    def list_folders(paths: list[str]) -> list[list[str]]:
        return [[VNIC + child] for _ in paths]

    assert partition_jobs([VNIC], HourSpan(_utc(1900, 1, 1), _utc(2100, 1, 1)), list_folders) == []


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
