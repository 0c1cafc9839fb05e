"""The counting, delaying front of the S3 test server: what the W5 bench and the lake tests count with."""

from __future__ import annotations

import time

import pytest

from cloudsql_cos_ts.settings.datasource import Credentials
from cloudsql_cos_ts.settings.secret import Secret
from cloudsql_cos_ts.storage.cos import CosStore
from tests.storage.conftest import BUCKET, HMAC_ID, HMAC_SECRET
from tests.storage.s3_front import request_kind, s3_front

KEYS = Credentials(auth="hmac", hmac_access_key_id=Secret(HMAC_ID), hmac_secret_access_key=Secret(HMAC_SECRET))


@pytest.mark.parametrize(
    ("method", "path", "kind"),
    [
        ("GET", "/flowlogs?list-type=2&prefix=a%2F", "list"),
        ("GET", "/flowlogs/", "list"),
        ("GET", "/flowlogs/a/b.gz", "get"),
        ("HEAD", "/flowlogs/a/b.gz", "head"),
        ("PUT", "/flowlogs/a/b.gz", "put"),
    ],
)
def test_request_kinds(method: str, path: str, kind: str) -> None:
    assert request_kind(method, path) == kind


def test_front_counts_requests_and_bytes_and_holds_each_request(s3_endpoint: str) -> None:
    delay = 0.05
    with s3_front(s3_endpoint, delay_s=delay) as front:
        store = CosStore(front.url, BUCKET, KEYS)
        began = time.monotonic()
        store.put("front/one.txt", b"x" * 1000)
        assert store.get("front/one.txt")[0] == b"x" * 1000
        listed = store.list("front/")
        elapsed = time.monotonic() - began
        counts = front.counts()
    assert [obj.key for obj in listed.objects] == ["front/one.txt"]
    assert (counts["put"], counts["get"], counts["list"]) == (1, 1, 1)
    assert front.requests()[:2] == [("put", "/flowlogs/front/one.txt"), ("get", "/flowlogs/front/one.txt")]
    assert counts.bytes_out >= 1000
    assert elapsed >= 3 * delay
