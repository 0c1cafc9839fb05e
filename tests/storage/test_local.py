"""The local-folder store: S3-like listing, atomic writes, nothing outside the root."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cloudsql_cos_ts.errors import BadRequest, NotFound
from cloudsql_cos_ts.storage.local import LocalStore, local_etag


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    root = tmp_path / "root"
    for key in ("a/x/1.gz", "a/y/2.gz", "a/3.gz", "ab.gz"):
        (root / key).parent.mkdir(parents=True, exist_ok=True)
        (root / key).write_bytes(key.encode())
    (tmp_path / "secret.txt").write_text("outside")
    return LocalStore(root)


def test_listing_like_s3(store: LocalStore) -> None:
    top = store.list("", "/")
    assert (top.prefixes, [o.key for o in top.objects]) == (["a/"], ["ab.gz"])
    assert [o.key for o in store.list("a").objects] == ["a/3.gz", "a/x/1.gz", "a/y/2.gz", "ab.gz"]
    assert store.list("a/", "/").prefixes == ["a/x/", "a/y/"]
    assert store.list("missing/").objects == []


def test_listing_walks_no_symbolic_link(store: LocalStore, tmp_path: Path) -> None:
    """Links to files or folders, inside the root or out of it, are neither listed nor walked into; every
    listed object carries its own file's size, ETag and time."""
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "4.gz").write_bytes(b"outside")
    os.symlink(tmp_path / "elsewhere", store.root / "a" / "outside-link")
    os.symlink(store.root / "a" / "x", store.root / "a" / "inside-link")
    os.symlink(store.root / "a" / "3.gz", store.root / "a" / "file-link.gz")
    listed = store.list("a/")
    assert [o.key for o in listed.objects] == ["a/3.gz", "a/x/1.gz", "a/y/2.gz"]
    assert store.list("a/", "/").prefixes == ["a/x/", "a/y/"]
    for info in listed.objects:
        stat = os.stat(store.root / info.key)
        modified = datetime.fromtimestamp(stat.st_mtime, tz=UTC)
        assert (info.size, info.etag, info.last_modified) == (stat.st_size, local_etag(stat), modified)


def test_get_put_head(store: LocalStore) -> None:
    store.put("new/dir/obj.bin", b"data")
    data, etag = store.get("new/dir/obj.bin")
    assert data == b"data" and store.head("new/dir/obj.bin").etag == etag
    with pytest.raises(NotFound):
        store.get("nope.gz")


@pytest.mark.parametrize("key", ["../secret.txt", "a/../../secret.txt", "/etc/passwd", "a/./x/1.gz", "a\0b"])
def test_keys_cannot_leave_the_root(store: LocalStore, key: str) -> None:
    with pytest.raises(BadRequest):
        store.get(key)


@pytest.mark.parametrize("target", ["secret.txt", "root-sibling/secret.txt"])
def test_symlink_out_of_the_root_is_refused(store: LocalStore, tmp_path: Path, target: str) -> None:
    """Also into a sibling folder whose name starts with the root's (``root-sibling`` beside ``root``)."""
    (tmp_path / target).parent.mkdir(exist_ok=True)
    (tmp_path / target).write_text("outside")
    os.symlink(tmp_path / target, store.root / "link.txt")
    with pytest.raises(BadRequest):
        store.get("link.txt")


def test_folder_paths_resolve_like_path_of_over_one_memo(store: LocalStore, tmp_path: Path) -> None:
    """Folders resolved over a shared memo give path_of's real paths, links inside the root followed."""
    os.symlink(store.root / "a" / "x", store.root / "a" / "inside-link")
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", store.root / "a" / "outside-link")
    memo: dict[str, str] = {}
    for folder in ["", "a", "a/x", "a/y", "a//x", "a/inside-link", "a/missing/deeper"]:
        assert store.folder_path(folder, memo) == os.path.realpath(store.path_of(folder))
    for folder in ["a/outside-link", "a/../..", "/etc"]:
        with pytest.raises(BadRequest):
            store.folder_path(folder, memo)
