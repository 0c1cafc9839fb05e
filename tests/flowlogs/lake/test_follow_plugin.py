"""The follower in a real plugin process over the S3 test server: it compacts a settled day by itself, and a
fresh plugin then answers from the day's lake part (one GET for the day's rows) what the raw objects gave.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cloudsql_cos_ts.settings.datasource import Credentials
from cloudsql_cos_ts.settings.secret import Secret
from cloudsql_cos_ts.storage.cos import CosStore
from tests.flowlogs.lake.conftest import generate_day
from tests.plugin_host import PluginProcess, data_query, datasource_context, decode_frames
from tests.storage.conftest import BUCKET, HMAC_ID, HMAC_SECRET, s3_endpoint  # noqa: F401 (fixture)
from tests.storage.s3_front import S3Front, s3_front

KEYS = Credentials(auth="hmac", hmac_access_key_id=Secret(HMAC_ID), hmac_secret_access_key=Secret(HMAC_SECRET))
# a settled day inside the follower's window (the last three days)
DAY = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=2)
RAW, LAKE = "follow/raw/", "follow/lake/"
SQL = "SELECT count(*) AS n, count(DISTINCT initiator_ip) AS initiators, sum(bytes_from_initiator) AS b FROM FLOW_FLAT"
FAST = {"GF_PLUGIN_LAKE_REQUESTS_PER_SECOND": "1000"}  # the test's own small bucket: no need to pace
DAY_FOLDER = re.compile(rf"/year={DAY.year}/month=0?{DAY.month}/day=0?{DAY.day}/")


@pytest.fixture(scope="module")
def front(s3_endpoint: str) -> Iterator[S3Front]:  # noqa: F811 (the fixture)
    generate_day(CosStore(s3_endpoint, BUCKET, KEYS), RAW, DAY, seed=20)
    with s3_front(s3_endpoint) as served:
        yield served


def settings(front: S3Front) -> dict[str, Any]:
    return {
        "source": f"cos://us-south/{BUCKET}/{RAW}",
        "lakeLocation": f"cos://us-south/{BUCKET}/{LAKE}",
        "allowedLocations": [f"cos://us-south/{BUCKET}/{LAKE}"],
        "cosEndpoint": front.url,
        "authType": "hmac",
        "cacheTtlSeconds": 0,
    }


def ask(plugin: PluginProcess, front: S3Front) -> list[dict[str, Any]]:
    context = datasource_context(settings(front), {"hmacAccessKeyId": HMAC_ID, "hmacSecretAccessKey": HMAC_SECRET})
    query = data_query(
        "A",
        {"rawSql": SQL, "format": "table"},
        from_ms=int(DAY.timestamp() * 1000),
        to_ms=int((DAY + timedelta(days=1)).timestamp() * 1000),
    )
    answer = plugin.query(query, context=context, timeout=120)["A"]
    assert answer.status == 200, answer.error
    return [row for frame in decode_frames(answer) for row in frame.to_pylist()]


def day_manifest(front: S3Front) -> bool:
    listed = CosStore(front.url, BUCKET, KEYS).list(LAKE).objects
    return any(info.key.endswith(f"/date={DAY.date()}/_manifest.json") for info in listed)


def test_the_follower_compacts_the_day_and_a_fresh_plugin_reads_its_part(front: S3Front, tmp_path: Path) -> None:
    first = PluginProcess(cache_dir=tmp_path / "first", extra_env=FAST).start()
    try:
        from_raw = ask(first, front)  # the datasource's first query builds its instance: the follower starts
        deadline = time.monotonic() + 60
        while not day_manifest(front) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert day_manifest(front), "the follower wrote no manifest for the day within a minute"
    finally:
        first.stop()
    fresh = PluginProcess(cache_dir=tmp_path / "fresh", extra_env=FAST).start()
    try:
        before = len(front.requests())
        from_lake = ask(fresh, front)
        during = front.requests()[before:]
    finally:
        fresh.stop()
    assert from_lake == from_raw and from_raw[0]["n"] > 0
    gets = [path for kind, path in during if kind == "get"]
    assert not [path for path in gets if path.startswith(f"/{BUCKET}/{RAW}") and DAY_FOLDER.search(path)]
    # records of the range's last minutes may lie in the next day's first hour, lent by its part if compacted
    assert len([path for path in gets if f"/date={DAY.date()}/part-" in path]) == 1
