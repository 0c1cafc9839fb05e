"""COS through ibm_boto3 against a real S3-compatible server: HMAC, IAM, and the errors users see."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.engines.duckdb.source import build_duckdb_source
from cloudsql_cos_ts.errors import DownstreamError, NotFound
from cloudsql_cos_ts.flowlogs.generator import generate
from cloudsql_cos_ts.flowlogs.scan import SourceScan
from cloudsql_cos_ts.flowlogs.schema import FLOW_FLAT
from cloudsql_cos_ts.settings.datasource import Credentials, DatasourceSettings
from cloudsql_cos_ts.settings.locations import CosLocation, LocalLocation
from cloudsql_cos_ts.settings.plugin import PluginSettings
from cloudsql_cos_ts.settings.secret import Secret
from cloudsql_cos_ts.storage.cos import CosStore
from cloudsql_cos_ts.timerange import TimeRange
from tests.storage.conftest import BUCKET, GOOD_API_KEY, HMAC_ID, HMAC_SECRET
from tests.storage.s3_server import free_port

HMAC = Credentials(auth="hmac", hmac_access_key_id=Secret(HMAC_ID), hmac_secret_access_key=Secret(HMAC_SECRET))
START, END = datetime(2026, 3, 1, 10, tzinfo=UTC), datetime(2026, 3, 1, 12, tzinfo=UTC)


def iam(endpoint: str, key: str) -> Credentials:
    return Credentials(auth="iam", api_key=Secret(key), service_instance_id="svc", iam_endpoint=endpoint)


def test_hmac_put_list_get_head(s3_endpoint: str) -> None:
    store = CosStore(s3_endpoint, BUCKET, HMAC)
    store.put("a/x/1.txt", b"one")
    store.put("a/y/2.txt", b"two")
    store.put("a/3.txt", b"three")
    folders = store.list("a/", "/")
    assert folders.prefixes == ["a/x/", "a/y/"]
    assert [o.key for o in folders.objects] == ["a/3.txt"]
    assert sorted(o.key for o in store.list("a/").objects) == ["a/3.txt", "a/x/1.txt", "a/y/2.txt"]
    data, etag = store.get("a/x/1.txt")
    assert data == b"one"
    assert store.head("a/x/1.txt").etag == etag


def test_iam_with_local_token_endpoint(s3_endpoint: str, iam_endpoint: str) -> None:
    store = CosStore(s3_endpoint, BUCKET, iam(iam_endpoint, GOOD_API_KEY))
    store.put("iam/ok.txt", b"hello")
    assert store.get("iam/ok.txt")[0] == b"hello"


@pytest.mark.parametrize(
    ("case", "expected_type", "expected"),
    [
        ("bad_api_key", DownstreamError,
         "the IBM Cloud API key was refused by IAM (HTTP 400, BXNIM0415E): check the API key in the "
         "datasource's secure settings, and that it is not deleted or locked"),
        ("no_bucket", NotFound,
         "the bucket 'no-such-bucket' at {s3} does not exist: check the bucket name and the region or "
         "endpoint of the location"),
        ("unreachable", DownstreamError,
         "cannot reach the COS endpoint {dead}: check the region or endpoint of the location and that the "
         "plugin's machine can connect to it"),
        ("no_key", NotFound, "no object 'missing.gz' in the bucket 'flowlogs' at {s3}"),
    ],
)
def test_errors_users_can_act_on(
    s3_endpoint: str, iam_endpoint: str, case: str, expected_type: type[Exception], expected: str
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    stores = {
        "bad_api_key": CosStore(s3_endpoint, BUCKET, iam(iam_endpoint, "wrong-key-secret-value")),
        "no_bucket": CosStore(s3_endpoint, "no-such-bucket", HMAC),
        "unreachable": CosStore(dead, BUCKET, HMAC),
        "no_key": CosStore(s3_endpoint, BUCKET, HMAC),
    }
    with pytest.raises(expected_type) as caught:
        if case == "no_key":
            stores[case].get("missing.gz")
        else:
            stores[case].list("x/")
    message = str(caught.value)
    assert message == expected.format(s3=s3_endpoint, dead=dead)
    for secret in ("wrong-key-secret-value", HMAC_SECRET, HMAC_ID):
        assert secret not in message


def _rows(settings: DatasourceSettings, cache_dir: Path) -> list[tuple[object, ...]]:
    source = build_duckdb_source(settings, PluginSettings(cache_dir=cache_dir))
    assert source is not None
    time_range = TimeRange(int(START.timestamp() * 1000) - 3600_000, int(END.timestamp() * 1000))
    views = source.relations(SourceScan(time_range), frozenset({FLOW_FLAT}), CancelToken()).views
    return duckdb.sql(f"SELECT * FROM ({views[FLOW_FLAT]}) ORDER BY ALL").fetchall()


def test_local_folder_and_cos_give_identical_rows(s3_endpoint: str, tmp_path: Path) -> None:
    folder = tmp_path / "bucket"
    generate(folder, vnics=2, start=START, end=END, records_per_object=5, seed=7)
    generate(CosStore(s3_endpoint, BUCKET, HMAC), vnics=2, start=START, end=END, records_per_object=5, seed=7,
             prefix="same/")
    local = DatasourceSettings(uid="l", name="l", last_updated_ms=0, source=LocalLocation(folder))
    cos = DatasourceSettings(
        uid="c", name="c", last_updated_ms=0, credentials=HMAC,
        source=CosLocation(endpoint=s3_endpoint, bucket=BUCKET, prefix="same/", region=None),
    )
    local_rows = _rows(local, tmp_path / "cache-local")
    assert len(local_rows) > 100
    assert _rows(cos, tmp_path / "cache-cos") == local_rows
