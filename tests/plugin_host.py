"""A stand-in for Grafana's plugin host: start the plugin the way go-plugin does, talk real gRPC.

The plugin is started with go-plugin's environment only (no PATH, no HOME, cwd ``/``), its first
stdout line is parsed as the handshake, and every call goes over the announced unix socket. The
executable is ``$CLOUDSQL_PLUGIN_EXECUTABLE`` (the test script points it at ``dist/``'s launcher),
else the development entry in the venv.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pyarrow as pa
from grpc_health.v1 import health_pb2, health_pb2_grpc

from cloudsql_cos_ts.proto import backend_pb2 as pb
from cloudsql_cos_ts.proto import backend_pb2_grpc as pb_grpc
from cloudsql_cos_ts.proto import controller_pb2 as ctl
from cloudsql_cos_ts.proto import controller_pb2_grpc as ctl_grpc
from cloudsql_cos_ts.server.socket_dir import PREFIX as SOCKET_PREFIX

REPO = Path(__file__).resolve().parent.parent


def plugin_command() -> list[str]:
    configured = os.environ.get("CLOUDSQL_PLUGIN_EXECUTABLE")
    if configured:
        return [configured]
    return [sys.executable, "-m", "cloudsql_cos_ts.server"]


def grafana_env(cache_dir: Path, **extra: str) -> dict[str, str]:
    """What go-plugin gives a plugin when Grafana skips the host environment."""
    env = {
        "grafana_plugin_type": "datasource",
        "PLUGIN_PROTOCOL_VERSIONS": "2",
        "PLUGIN_MIN_PORT": "10000",
        "PLUGIN_MAX_PORT": "25000",
        "GF_VERSION": "12.3.0",
        "GF_PLUGIN_CACHE_DIR": str(cache_dir),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    if "CLOUDSQL_PLUGIN_EXECUTABLE" not in os.environ:
        env["PYTHONPATH"] = str(REPO / "plugin")  # the development entry runs from the source tree
    env.update(extra)
    return env


def datasource_context(
    json_data: Mapping[str, Any] | None = None,
    secure: Mapping[str, str] | None = None,
    uid: str = "test-ds",
    version: int = 1,
    grafana_config: Mapping[str, str] | None = None,
) -> pb.PluginContext:
    return pb.PluginContext(
        orgId=1,
        pluginId="ibm-cloudsqlcos-datasource",
        grafanaConfig=dict(grafana_config or {}),
        dataSourceInstanceSettings=pb.DataSourceInstanceSettings(
            id=1,
            uid=uid,
            name="test",
            jsonData=json.dumps(dict(json_data or {})).encode(),
            decryptedSecureJsonData=dict(secure or {}),
            lastUpdatedMS=version,
        ),
    )


def data_query(
    ref_id: str,
    model: Mapping[str, Any] | bytes,
    *,
    from_ms: int = 1714953600000,
    to_ms: int = 1715040000000,
    interval_ms: int = 60_000,
) -> pb.DataQuery:
    raw = model if isinstance(model, bytes) else json.dumps({"refId": ref_id, **model}).encode()
    return pb.DataQuery(
        refId=ref_id,
        json=raw,
        intervalMS=interval_ms,
        maxDataPoints=1000,
        timeRange=pb.TimeRange(fromEpochMS=from_ms, toEpochMS=to_ms),
    )


def decode_frames(response: pb.DataResponse) -> list[pa.Table]:
    """The answer's frames as Arrow tables (each frame is one Arrow IPC file)."""
    return [pa.ipc.open_file(pa.py_buffer(frame)).read_all() for frame in response.frames]


def frame_meta(table: pa.Table) -> dict[str, Any]:
    return dict(json.loads(table.schema.metadata[b"meta"]))


@dataclass
class PluginProcess:
    cache_dir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    handshake: str = ""
    handshake_seconds: float = 0.0
    stderr_path: Path | None = None
    channel: grpc.Channel | None = None

    def start(self, timeout_s: float = 20.0) -> PluginProcess:
        self.stderr_path = self.cache_dir.parent / f"plugin-stderr-{time.monotonic_ns()}.log"
        started = time.monotonic()
        with self.stderr_path.open("wb") as stderr:
            self.process = subprocess.Popen(
                plugin_command(),
                env=grafana_env(self.cache_dir, **self.extra_env),
                cwd="/",
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=stderr,
            )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().decode()
        self.handshake_seconds = time.monotonic() - started
        if not line:
            raise RuntimeError(f"plugin exited before the handshake: {self.stderr()}")
        self.handshake = line.strip()
        core, app, network, address, protocol = self.handshake.split("|")
        assert (core, app, protocol) == ("1", "2", "grpc"), self.handshake
        target = f"unix:{address}" if network == "unix" else address
        self.channel = grpc.insecure_channel(target, options=[("grpc.max_receive_message_length", -1)])
        grpc.channel_ready_future(self.channel).result(timeout=timeout_s)
        return self

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace") if self.stderr_path and self.stderr_path.exists() else ""

    def log_records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stderr().splitlines() if line.strip()]

    @property
    def data(self) -> pb_grpc.DataStub:
        return pb_grpc.DataStub(self.channel)

    @property
    def diagnostics(self) -> pb_grpc.DiagnosticsStub:
        return pb_grpc.DiagnosticsStub(self.channel)

    @property
    def resource(self) -> pb_grpc.ResourceStub:
        return pb_grpc.ResourceStub(self.channel)

    def health_status(self, service: str) -> int:
        stub = health_pb2_grpc.HealthStub(self.channel)
        return int(stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=5).status)

    def shutdown(self) -> None:
        ctl_grpc.GRPCControllerStub(self.channel).Shutdown(ctl.Empty(), timeout=5)

    def wait(self, timeout_s: float) -> int:
        assert self.process is not None
        return self.process.wait(timeout=timeout_s)

    @property
    def socket_dir(self) -> Path | None:
        """The private folder of the socket announced in the handshake (None before it or over TCP)."""
        parts = self.handshake.split("|")
        return Path(parts[3]).parent if len(parts) == 5 and parts[2] == "unix" else None

    def stop(self) -> None:
        """End the process (SIGKILL if it still runs) and remove the socket folder a killed plugin cannot."""
        if self.channel is not None:
            self.channel.close()
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()
        if self.process is not None and self.socket_dir is not None and self.socket_dir.name.startswith(SOCKET_PREFIX):
            shutil.rmtree(self.socket_dir, ignore_errors=True)

    def query(
        self,
        *queries: pb.DataQuery,
        context: pb.PluginContext | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 60,
    ) -> dict[str, pb.DataResponse]:
        """One QueryData call; the answers by refId."""
        request = pb.QueryDataRequest(
            pluginContext=context or datasource_context(), queries=queries, headers=dict(headers or {})
        )
        return dict(self.data.QueryData(request, timeout=timeout).responses)

    def metric(self, name: str, **labels: str) -> float:
        """A CollectMetrics value, summed over the series whose labels include ``labels`` (0 when absent)."""
        text = self.diagnostics.CollectMetrics(pb.CollectMetricsRequest(), timeout=30).metrics.prometheus.decode()
        total = 0.0
        for series, value in re.findall(rf"^{re.escape(name)}(\{{[^}}]*\}})? (\S+)$", text, flags=re.MULTILINE):
            found = dict(re.findall(r'(\w+)="([^"]*)"', series))
            if all(found.get(k) == v for k, v in labels.items()):
                total += float(value)
        return total

    def call_resource(
        self, path: str, method: str = "GET", body: bytes = b"", context: pb.PluginContext | None = None
    ) -> tuple[int, dict[str, Any]]:
        request = pb.CallResourceRequest(
            pluginContext=context or datasource_context(), path=path, method=method, url=path, body=body
        )
        messages = list(self.resource.CallResource(request, timeout=60))
        return messages[0].code, json.loads(b"".join(m.body for m in messages))
