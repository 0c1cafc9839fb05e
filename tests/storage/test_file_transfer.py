"""Objects to and from local files without holding them in memory: a local folder and the S3 test server."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cloudsql_cos_ts.errors import NotFound
from cloudsql_cos_ts.settings.datasource import Credentials
from cloudsql_cos_ts.settings.secret import Secret
from cloudsql_cos_ts.storage.base import FileTransfer, ObjectStore
from cloudsql_cos_ts.storage.cos import CosStore
from cloudsql_cos_ts.storage.local import LocalStore
from tests.storage.conftest import BUCKET, HMAC_ID, HMAC_SECRET

# Above the SDK's multipart threshold (8 MB): the upload goes in parts.
SIZES = {"small": 1000, "multipart": 9 * (1 << 20) + 17}


@pytest.fixture(params=["local folder", "S3 test server"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    if request.param == "local folder":
        (tmp_path / "root").mkdir()
        return LocalStore(tmp_path / "root")
    endpoint = request.getfixturevalue("s3_endpoint")
    hmac = Credentials(auth="hmac", hmac_access_key_id=Secret(HMAC_ID), hmac_secret_access_key=Secret(HMAC_SECRET))
    return CosStore(endpoint, BUCKET, hmac)


@pytest.mark.parametrize("size", list(SIZES))
def test_a_file_goes_up_and_comes_back_whole(store: ObjectStore, tmp_path: Path, size: str) -> None:
    assert isinstance(store, FileTransfer)
    data = os.urandom(SIZES[size])
    (tmp_path / "up.bin").write_bytes(data)
    key = f"transfer/{size}/part.parquet"
    store.put_file(key, tmp_path / "up.bin")
    assert store.head(key).size == len(data)
    store.get_file(key, tmp_path / "down.bin")
    assert (tmp_path / "down.bin").read_bytes() == data == store.get(key)[0]


def test_a_missing_object_is_not_found(store: ObjectStore, tmp_path: Path) -> None:
    assert isinstance(store, FileTransfer)
    with pytest.raises(NotFound):
        store.get_file("transfer/none/part.parquet", tmp_path / "down.bin")
