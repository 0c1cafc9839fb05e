"""The request pacer and the throttled store the lake follower's requests go through."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from cloudsql_cos_ts.storage.base import FileTransfer
from cloudsql_cos_ts.storage.local import LocalStore
from cloudsql_cos_ts.storage.throttled import RequestPacer, ThrottledStore


def test_requests_from_several_threads_share_one_rate(tmp_path: Path) -> None:
    store = ThrottledStore(LocalStore(tmp_path), RequestPacer(per_second=100))
    began = time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda n: store.put(f"k/{n}", b"x"), range(20)))
    assert time.monotonic() - began >= 19 / 100
    assert sorted(info.key for info in store.list("k/").objects) == sorted(f"k/{n}" for n in range(20))
    assert store.identity == LocalStore(tmp_path).identity  # caches keyed by it are shared with queries


def test_files_move_through_the_wrapped_store_at_the_same_pace(tmp_path: Path) -> None:
    store = ThrottledStore(LocalStore(tmp_path / "store"), RequestPacer(per_second=1000))
    source, copy = tmp_path / "part.parquet", tmp_path / "copy.parquet"
    source.write_bytes(b"a day of rows")
    assert isinstance(store, FileTransfer)
    store.put_file("lake/part.parquet", source)
    store.get_file("lake/part.parquet", copy)
    assert copy.read_bytes() == b"a day of rows"


@pytest.mark.parametrize("rate", [0, -1])
def test_a_rate_must_be_positive(rate: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        RequestPacer(rate)
