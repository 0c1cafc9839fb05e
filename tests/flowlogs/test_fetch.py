"""Reading listed objects: the local fast path agrees with the store, keeps to the folder, stops on cancel."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import pytest

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.errors import DownstreamError, NotFound, QueryCancelled
from cloudsql_cos_ts.flowlogs.decode import SourceObject
from cloudsql_cos_ts.flowlogs.fetch import fetch_objects
from cloudsql_cos_ts.flowlogs.generator import GenerationSummary
from cloudsql_cos_ts.flowlogs.layout import parse_key
from cloudsql_cos_ts.storage.base import ObjectStore
from cloudsql_cos_ts.storage.local import LocalStore

WeekSet = tuple[Path, GenerationSummary]


def _objects(store: LocalStore) -> list[SourceObject]:
    found = []
    for info in store.list("").objects:
        parsed = parse_key(f"{store.root}/{info.key}")
        assert parsed is not None
        found.append(SourceObject(info.key, info.etag, info.last_modified, info.size, parsed))
    return found


def _week_store(week_set: WeekSet) -> LocalStore:
    return LocalStore(week_set[0])


def test_local_reads_equal_store_gets(week_set: WeekSet) -> None:
    store = _week_store(week_set)
    objects = _objects(store)[:50]
    fetched = list(fetch_objects(store, objects, CancelToken()))
    assert [obj for obj, _ in fetched] == objects  # same ETags as the listing: nothing changed
    for obj, data in fetched:
        assert (data, obj.etag) == store.get(obj.key)


def _single_object_store(tmp_path: Path, week_set: WeekSet) -> tuple[LocalStore, SourceObject, Path]:
    """A copy of one generated object in its own folder tree (so it can be tampered with)."""
    source = _week_store(week_set)
    obj = _objects(source)[0]
    target = tmp_path / "copy" / obj.key
    target.parent.mkdir(parents=True)
    target.write_bytes(source.get(obj.key)[0])
    store = LocalStore(tmp_path / "copy")
    return store, _objects(store)[0], target


@pytest.mark.parametrize("size", [0, 1, (1 << 20) + 3, (3 << 20) + 1])
def test_local_reads_return_whole_files_of_any_size(tmp_path: Path, week_set: WeekSet, size: int) -> None:
    """Empty, tiny and multi-megabyte files come back whole, equal to the store's own read."""
    store, obj, target = _single_object_store(tmp_path, week_set)
    body = os.urandom(size)
    target.write_bytes(body)
    ((read, data),) = fetch_objects(store, [obj], CancelToken())
    assert data == body and (data, read.etag) == store.get(obj.key)


def test_a_symbolic_link_in_place_of_an_object_is_refused(tmp_path: Path, week_set: WeekSet) -> None:
    store, obj, target = _single_object_store(tmp_path, week_set)
    secret = tmp_path / "outside.gz"
    secret.write_bytes(b"not for queries")
    target.unlink()
    os.symlink(secret, target)
    with pytest.raises(DownstreamError, match="cannot read"):
        list(fetch_objects(store, [obj], CancelToken()))


def test_a_vanished_object_is_not_found(tmp_path: Path, week_set: WeekSet) -> None:
    store, obj, target = _single_object_store(tmp_path, week_set)
    target.unlink()
    with pytest.raises(NotFound):
        list(fetch_objects(store, [obj], CancelToken()))


def test_a_rewritten_object_carries_its_new_etag(tmp_path: Path, week_set: WeekSet) -> None:
    store, obj, target = _single_object_store(tmp_path, week_set)
    stamp = datetime(2030, 1, 1, tzinfo=UTC).timestamp()
    os.utime(target, (stamp, stamp))
    ((read, _),) = fetch_objects(store, [obj], CancelToken())
    assert read.etag != obj.etag and read.etag == store.head(obj.key).etag


def test_cancellation_stops_between_objects(week_set: WeekSet) -> None:
    store = _week_store(week_set)
    token = CancelToken()
    reader = fetch_objects(store, _objects(store)[:10], token)
    next(reader)
    token.cancel()
    with pytest.raises(QueryCancelled):
        next(reader)


class _CutShort:
    """An object store (not a local folder) whose GETs lose the last byte in transit, same ETag as listed."""

    def __init__(self, store: LocalStore) -> None:
        self.store = store

    def get(self, key: str) -> tuple[bytes, str]:
        data, etag = self.store.get(key)
        return data[:-1], etag


def test_a_body_cut_short_in_transit_is_an_error_not_a_damaged_object(tmp_path: Path, week_set: WeekSet) -> None:
    store, obj, _ = _single_object_store(tmp_path, week_set)
    cut = cast(ObjectStore, _CutShort(store))
    with pytest.raises(DownstreamError, match=rf"stopped after {obj.size - 1} of {obj.size} bytes; try again"):
        list(fetch_objects(cut, [obj], CancelToken()))
