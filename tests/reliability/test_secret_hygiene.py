"""Canary secrets in secureJsonData never leave the plugin: not in logs, answers, metrics or files.

One plugin process (log level trace) is driven through every path that touches settings: good and
failing queries over a local folder, COS with HMAC keys on the real S3 test server, COS with an API
key the local IAM endpoint refuses, a Spark engine that cannot be reached, a secret misplaced in
jsonData, bad SQL, ``$__dest`` writes, Save & test of each, every resource endpoint, metrics. Then
stderr, every response message, and every file in the cache, destination and socket folders are
scanned for the canaries, raw and in the encodings a leak could take.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from cloudsql_cos_ts.flowlogs.generator import generate
from cloudsql_cos_ts.proto import backend_pb2 as pb
from cloudsql_cos_ts.settings.datasource import Credentials
from cloudsql_cos_ts.settings.secret import Secret
from cloudsql_cos_ts.storage.cos import CosStore
from tests.plugin_host import PluginProcess, data_query, datasource_context
from tests.reliability.flows import COUNT_SQL, END, HOURS, hour_count_query
from tests.storage.conftest import BUCKET, HMAC_ID, HMAC_SECRET

CANARIES = {
    "apiKey": "canary-apikey-7d1f0e93",
    "hmacAccessKeyId": "canary-hmacid-2b8c4a61",
    "hmacSecretAccessKey": "canary-hmacsecret-9e5d3f27",
    "sparkToken": "canary-sparktoken-4a6b1c80",
}
PREFIX = "secret-hygiene/"


def leak_patterns(value: str) -> list[bytes]:
    """How a secret could show up in bytes: raw, UTF-16 (Windows-ish logs), base64 (basic auth, JSON bytes)."""
    raw = value.encode()
    return [raw, value.encode("utf-16-le"), base64.b64encode(raw), base64.b64encode(b":" + raw)[4:]]


@pytest.fixture(scope="module")
def cos_flows(s3_endpoint: str) -> str:
    store = CosStore(
        s3_endpoint,
        BUCKET,
        Credentials("hmac", hmac_access_key_id=Secret(HMAC_ID), hmac_secret_access_key=Secret(HMAC_SECRET)),
    )
    generate(store, vnics=1, start=END - timedelta(hours=1), end=END, records_per_object=5, seed=7, prefix=PREFIX)
    return s3_endpoint


class Recorder:
    """Drives the plugin and keeps every byte it answered with."""

    def __init__(self, plugin: PluginProcess) -> None:
        self.plugin = plugin
        self.answers: list[bytes] = []

    def query(self, context: pb.PluginContext, *queries: pb.DataQuery) -> dict[str, pb.DataResponse]:
        request = pb.QueryDataRequest(pluginContext=context, queries=queries)
        response = self.plugin.data.QueryData(request, timeout=60)
        self.answers.append(response.SerializeToString())
        return dict(response.responses)

    def health(self, context: pb.PluginContext) -> pb.CheckHealthResponse:
        response = self.plugin.diagnostics.CheckHealth(pb.CheckHealthRequest(pluginContext=context), timeout=60)
        self.answers.append(response.SerializeToString())
        return response

    def resource(self, context: pb.PluginContext, method: str, path: str, body: dict[str, Any] | None = None) -> int:
        status, answer = self.plugin.call_resource(path, method, json.dumps(body or {}).encode(), context=context)
        self.answers.append(json.dumps(answer).encode())
        return status

    def metrics(self) -> None:
        text = self.plugin.diagnostics.CollectMetrics(pb.CollectMetricsRequest(), timeout=30).metrics.prometheus
        self.answers.append(text)


def _contexts(folder: Path, dest: Path, s3: str, iam: str) -> dict[str, pb.PluginContext]:
    local = {"source": str(folder), "destination": str(dest), "iamEndpoint": iam, "authType": "none"}
    cos = {"source": f"cos://us-south/{BUCKET}/{PREFIX}", "cosEndpoint": s3}
    return {
        "local": datasource_context(local, secure=CANARIES, uid="s-local"),
        "hmac": datasource_context({**cos, "authType": "hmac"}, secure=CANARIES, uid="s-hmac"),
        "iam-refused": datasource_context({**cos, "authType": "iam", "iamEndpoint": iam}, secure=CANARIES, uid="s-iam"),
        "spark": datasource_context(
            {"engine": "spark", "sparkUrl": "sc://127.0.0.1:9", "iamEndpoint": iam}, secure=CANARIES, uid="s-spark"
        ),
        "misplaced": datasource_context({"apiKey": CANARIES["apiKey"]}, secure=CANARIES, uid="s-misplaced"),
    }


def _exercise(recorder: Recorder, contexts: dict[str, pb.PluginContext]) -> None:
    count = hour_count_query("A", HOURS - 1)
    expand = {"query": {"rawSql": COUNT_SQL}, "range": {"from": 0, "to": 3_600_000}}
    for name, context in contexts.items():
        recorder.query(
            context,
            count,
            data_query("B", {"rawSql": "SELECT * FROM nowhere WHERE"}),
            data_query("C", {"rawSql": "SELECT count(*) AS n INTO $__dest(csv, out) FROM $__source_prev(A)"}),
        )
        recorder.query(context, count)  # a cache hit where the first run succeeded
        recorder.health(context)
        for method, path, body in (
            ("POST", "expand", expand),
            ("POST", "estimate", expand),
            ("POST", "plan", expand),
            ("GET", "schema", None),
            ("GET", "macros", None),
            ("GET", "health", None),
            ("POST", "cache/clear", None),
            ("GET", "nope", None),
        ):
            recorder.resource(context, method, path, body)
        print(name, {ref: (a.status, a.error[:100]) for ref, a in recorder.query(context, count).items()})
    recorder.metrics()


def _files(*folders: Path) -> Iterator[Path]:
    for folder in folders:
        if folder.exists():
            yield from (path for path in folder.rglob("*") if path.is_file())


def test_canary_secrets_appear_nowhere(tmp_path: Path, flow_folder: Path, cos_flows: str, iam_endpoint: str) -> None:
    dest = tmp_path / "dest"
    dest.mkdir()
    plugin = PluginProcess(cache_dir=tmp_path / "cache", extra_env={"GF_PLUGIN_LOG_LEVEL": "trace"}).start()
    recorder = Recorder(plugin)
    try:
        contexts = _contexts(flow_folder, dest, cos_flows, iam_endpoint)
        _exercise(recorder, contexts)
        socket_dir = plugin.socket_dir
        assert socket_dir is not None
        # read while the plugin runs: its socket folder (owner record included) goes with a clean stop
        files = {path: path.read_bytes() for path in _files(tmp_path / "cache", dest, socket_dir)}
        plugin.shutdown()
        plugin.wait(timeout_s=5)
        stderr = plugin.stderr_path.read_bytes()  # type: ignore[union-attr]
    finally:
        plugin.stop()
    assert len(stderr.splitlines()) > 20 and b'"@level": "debug"' in stderr, "the log proves little"
    assert any(path.suffix == ".parquet" for path in files), "no ingest or result file was written"
    haystacks = {"stderr": stderr, **{f"answer {i}": a for i, a in enumerate(recorder.answers)}}
    haystacks.update({str(path): data for path, data in files.items()})
    leaks = [
        (key, where)
        for key, value in CANARIES.items()
        for pattern in leak_patterns(value)
        for where, data in haystacks.items()
        if pattern in data
    ]
    assert leaks == []
