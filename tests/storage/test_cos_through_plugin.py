"""COS through the plugin process Grafana starts (the packaged dist/ under scripts/test.sh).

The other COS tests run the storage layer in-process; this one proves the shipped bundle carries the
whole IBM COS SDK (its submodules are imported by name at run time, which a bundler cannot see) by
reading flow logs from the S3 test server with HMAC and with an IAM API key, through QueryData and
Save & test.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from cloudsql_cos_ts.flowlogs.generator import generate
from cloudsql_cos_ts.proto import backend_pb2 as pb
from cloudsql_cos_ts.settings.datasource import Credentials
from cloudsql_cos_ts.settings.secret import Secret
from cloudsql_cos_ts.storage.cos import CosStore
from tests.plugin_host import PluginProcess, data_query, datasource_context, decode_frames
from tests.storage.conftest import BUCKET, GOOD_API_KEY, HMAC_ID, HMAC_SECRET

START = datetime(2024, 5, 6, 10, 0, tzinfo=UTC)
END = datetime(2024, 5, 6, 12, 0, tzinfo=UTC)
PREFIX = "through-plugin/"


@pytest.fixture(scope="module")
def records_in_bucket(s3_endpoint: str) -> int:
    hmac = Credentials(auth="hmac", hmac_access_key_id=Secret(HMAC_ID), hmac_secret_access_key=Secret(HMAC_SECRET))
    summary = generate(
        CosStore(s3_endpoint, BUCKET, hmac), vnics=2, start=START, end=END, records_per_object=5, seed=3, prefix=PREFIX
    )
    return summary.records


@pytest.mark.parametrize("auth", ["hmac", "iam"])
def test_flow_logs_from_cos_through_the_plugin(
    s3_endpoint: str, iam_endpoint: str, records_in_bucket: int, tmp_path: Path, auth: str
) -> None:
    json_data = {
        "source": f"cos://us-south/{BUCKET}/{PREFIX}",
        "cosEndpoint": s3_endpoint,
        "authType": auth,
        "cacheTtlSeconds": 0,
    }
    secure = {"hmacAccessKeyId": HMAC_ID, "hmacSecretAccessKey": HMAC_SECRET}
    if auth == "iam":
        json_data["iamEndpoint"] = iam_endpoint
        secure = {"apiKey": GOOD_API_KEY}
    context = datasource_context(json_data, secure, uid=f"cos-{auth}")
    plugin = PluginProcess(cache_dir=tmp_path / "cache").start()
    try:
        window = {"from_ms": int(START.timestamp() * 1000), "to_ms": int(END.timestamp() * 1000)}
        answer = plugin.query(
            data_query("A", {"rawSql": "SELECT count(*) AS n FROM FLOW_FLAT"}, **window), context=context, timeout=120
        )["A"]
        assert answer.status == 200, answer.error
        assert decode_frames(answer)[0].column("n").to_pylist() == [records_in_bucket]
        health = plugin.diagnostics.CheckHealth(pb.CheckHealthRequest(pluginContext=context), timeout=30)
        assert health.status == pb.CheckHealthResponse.OK, health.message
    finally:
        plugin.stop()
