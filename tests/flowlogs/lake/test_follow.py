"""The flow lake's follower over a local lake: passes, the lease between followers, the thread's life."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from cloudsql_cos_ts.errors import DownstreamError
from cloudsql_cos_ts.flowlogs.generator import GenerationSummary
from cloudsql_cos_ts.flowlogs.ingest import IngestCache
from cloudsql_cos_ts.flowlogs.lake.compact import DayResult, RawSource
from cloudsql_cos_ts.flowlogs.lake.follow import Follower, FollowPolicy, read_lease
from cloudsql_cos_ts.flowlogs.lake.layout import LakeSource, open_lake
from cloudsql_cos_ts.flowlogs.lake.manifest import read_manifest
from cloudsql_cos_ts.settings.datasource import Credentials
from cloudsql_cos_ts.settings.locations import LocalLocation
from cloudsql_cos_ts.storage.base import Listing
from cloudsql_cos_ts.storage.local import LocalStore
from tests.flowlogs.conftest import WEEK_END

NOW = WEEK_END + timedelta(hours=12)  # the week's last day is settled, the day after it is not
LAST_DAY = (WEEK_END - timedelta(days=1)).date()
ONE_DAY = FollowPolicy(days_back=1, interval_s=3600)


@dataclass
class Lab:
    raw: RawSource
    lake: LakeSource
    cache: IngestCache

    def follower(self, clock: datetime = NOW, policy: FollowPolicy = ONE_DAY) -> Follower:
        return Follower(self.raw, self.lake, self.cache, policy, clock=lambda: clock)


@pytest.fixture
def lab(week_set: tuple[Path, GenerationSummary], tmp_path: Path) -> Lab:
    folder, _ = week_set
    lake = open_lake(LocalLocation(tmp_path / "lake"), LocalLocation(folder), Credentials())
    return Lab(RawSource(LocalStore(folder), "", f"{folder}/"), lake, IngestCache(tmp_path / "cache", 10**9))


def statuses(results: list[DayResult]) -> dict[date, str]:
    return {result.day: result.status for result in results}


def test_a_pass_compacts_the_settled_days_and_the_next_finds_them_current(lab: Lab) -> None:
    follower = lab.follower()
    assert statuses(follower.run_pass()) == {LAST_DAY: "written", NOW.date(): "unsettled"}
    manifest = read_manifest(lab.lake, LAST_DAY)
    assert manifest is not None and manifest.rows > 0
    assert statuses(follower.run_pass()) == {LAST_DAY: "current", NOW.date(): "unsettled"}


def test_a_second_follower_leaves_passes_to_the_lease_holder_until_the_lease_runs_out(lab: Lab) -> None:
    first = lab.follower()
    first.run_pass()
    lease = read_lease(lab.lake)
    assert lease is not None and lease.owner == first.owner
    assert lab.follower().run_pass() == []  # another process's follower, within the lease
    later = NOW + timedelta(seconds=ONE_DAY.lease_s + 1)
    taken_over = lab.follower(clock=later)
    assert statuses(taken_over.run_pass())[LAST_DAY] == "current"
    lease = read_lease(lab.lake)
    assert lease is not None and lease.owner == taken_over.owner


def test_the_thread_passes_at_once_and_stops_on_stop(lab: Lab) -> None:
    follower = lab.follower().start()
    try:
        assert follower.wait_for_pass(1, timeout_s=60)
        assert statuses(follower.last)[LAST_DAY] == "written"
        assert follower.running  # waiting for the next pass
    finally:
        follower.stop(timeout_s=10)
    assert not follower.running


class UnreachableStore(LocalStore):
    """A store whose listings fail as an unreachable endpoint's do."""

    def list(self, prefix: str, delimiter: str | None = None) -> Listing:
        raise DownstreamError("cannot reach the COS endpoint")


def test_a_failing_pass_never_ends_the_thread(lab: Lab, tmp_path: Path) -> None:
    raw = RawSource(UnreachableStore(tmp_path), "")
    follower = Follower(raw, lab.lake, lab.cache, FollowPolicy(interval_s=0.05), clock=lambda: NOW).start()
    try:
        assert follower.wait_for_pass(2, timeout_s=30)
        assert follower.running and follower.last == []
    finally:
        follower.stop()
    assert not follower.running
