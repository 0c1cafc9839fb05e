"""Stores delete objects (the flow lake's superseded parts): gone afterwards, and deleting twice is no error."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from cloudsql_cos_ts.errors import NotFound
from cloudsql_cos_ts.settings.datasource import Credentials
from cloudsql_cos_ts.settings.secret import Secret
from cloudsql_cos_ts.storage.base import Deletion, ObjectStore
from cloudsql_cos_ts.storage.cos import CosStore
from cloudsql_cos_ts.storage.local import LocalStore
from cloudsql_cos_ts.storage.throttled import RequestPacer, ThrottledStore
from tests.storage.conftest import BUCKET, HMAC_ID, HMAC_SECRET, s3_endpoint  # noqa: F401 (fixture)

KEYS = Credentials(auth="hmac", hmac_access_key_id=Secret(HMAC_ID), hmac_secret_access_key=Secret(HMAC_SECRET))
Opened = Callable[[Path, str], ObjectStore]


def local(tmp: Path, endpoint: str) -> ObjectStore:
    return LocalStore(tmp)


def cos(tmp: Path, endpoint: str) -> ObjectStore:
    return CosStore(endpoint, BUCKET, KEYS)


def paced_cos(tmp: Path, endpoint: str) -> ObjectStore:
    return ThrottledStore(cos(tmp, endpoint), RequestPacer(1000))


@pytest.mark.parametrize("opened", [local, cos, paced_cos], ids=["local folder", "COS", "paced COS"])
def test_a_deleted_object_is_gone_and_deleting_it_again_is_no_error(
    opened: Opened,
    tmp_path: Path,
    s3_endpoint: str,  # noqa: F811 (the fixture)
) -> None:
    store = opened(tmp_path, s3_endpoint)
    key, kept = f"delete/{tmp_path.name}/part-a.parquet", f"delete/{tmp_path.name}/part-b.parquet"
    store.put(key, b"superseded")
    store.put(kept, b"current")
    assert isinstance(store, Deletion)
    store.delete(key)
    store.delete(key)
    with pytest.raises(NotFound):
        store.get(key)
    assert store.get(kept)[0] == b"current"
