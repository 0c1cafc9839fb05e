"""The in-memory tier of the result store: bounded, expiring, and cleared in every process sharing a directory."""

from __future__ import annotations

import time
from pathlib import Path

import pyarrow as pa
import pytest

from cloudsql_cos_ts.cache.entry import CachedResult
from cloudsql_cos_ts.cache.memory import LARGEST_SHARE, RecentResults, result_size
from cloudsql_cos_ts.cache.store import ResultStore
from cloudsql_cos_ts.timerange import TimeRange

NOW = 1_000_000.0


def result(size: int, table: pa.Table | None = None) -> CachedResult:
    return CachedResult(frames=[b"f" * size], table=table, created=NOW, queried_range=TimeRange(1, 2))


def test_size_counts_frames_and_the_table() -> None:
    table = pa.table({"n": pa.array(range(100), pa.int64())})
    assert result_size(result(10)) == 10
    assert result_size(result(10, table)) == 10 + table.nbytes


def test_least_recently_used_goes_first_and_the_budget_holds() -> None:
    recent = RecentResults(budget_bytes=800)
    for key in "abcd":
        recent.put(key, result(100), expires_at=NOW + 60, tag="ds")
    assert recent.get("a", NOW) is not None  # "a" is now the most recently used
    for key in "efghij":
        recent.put(key, result(100), expires_at=NOW + 60, tag="ds")
    held = [key for key in "abcdefghij" if recent.get(key, NOW) is not None]
    assert held == ["a", "d", "e", "f", "g", "h", "i", "j"] and recent.held_bytes() == 800


@pytest.mark.parametrize(
    ("budget", "size", "kept"),
    [
        (8_000, 8_000 // LARGEST_SHARE, True),
        (8_000, 8_000 // LARGEST_SHARE + 1, False),  # one result may not flush every panel's
        (0, 1, False),  # a budget of 0 turns the tier off
    ],
)
def test_an_entry_over_its_share_of_the_budget_stays_on_disk_only(budget: int, size: int, kept: bool) -> None:
    recent = RecentResults(budget)
    recent.put("k", result(size), expires_at=NOW + 60, tag="ds")
    assert (recent.get("k", NOW) is not None) is kept


def test_expired_entries_are_never_served() -> None:
    recent = RecentResults(1_000)
    recent.put("k", result(10), expires_at=NOW + 5, tag="ds")
    assert recent.get("k", NOW + 4.9) is not None
    assert recent.get("k", NOW + 5) is None
    assert recent.held_bytes() == 0


def test_dropping_a_tag_keeps_the_other_datasources() -> None:
    recent = RecentResults(1_000)
    for key, tag in [("a", "one"), ("b", "two"), ("c", "one")]:
        recent.put(key, result(10), expires_at=NOW + 60, tag=tag)
    recent.drop_tag("one")
    assert [recent.get(key, NOW) is not None for key in "abc"] == [False, True, False]


def test_a_disk_read_is_kept_in_memory_with_its_expiry(tmp_path: Path) -> None:
    writer = ResultStore(tmp_path / "results", 10**8, memory_bytes=0)
    writer.put("k" * 64, result(10), ttl_s=1, tag="ds", with_table=False)
    reader = ResultStore(tmp_path / "results", 10**8, memory_bytes=10**6)
    first = reader.get("k" * 64)
    assert first is not None and reader.get("k" * 64) is first  # the second read is the object in memory
    time.sleep(1.1)
    assert reader.get("k" * 64) is None  # the disk's expiry came along
    writer.close()
    reader.close()


def test_a_clear_reaches_the_memory_of_another_store_on_the_same_directory(tmp_path: Path) -> None:
    """Two plugin processes on one directory: a clear through either one must be seen by both."""
    first = ResultStore(tmp_path / "results", 10**8, memory_bytes=10**6)
    second = ResultStore(tmp_path / "results", 10**8, memory_bytes=10**6)
    for i in range(2):
        first.put(f"{i:064x}", result(10), ttl_s=60, tag=f"ds{i}", with_table=False)
        assert second.get(f"{i:064x}") is not None  # now in the second store's memory too
    for clearing, other in [(first, second), (second, first)]:
        assert clearing.clear_datasource("ds0") in (0, 1)
        assert other.get(f"{0:064x}") is None and clearing.get(f"{0:064x}") is None
        assert other.get(f"{1:064x}") is not None  # the other datasource's entry is still served
    first.close()
    second.close()
