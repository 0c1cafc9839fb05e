"""A minimal Grafana plugin host: start the plugin executable the way Grafana does and call it over gRPC.

Grafana (through go-plugin) runs the executable with cwd ``/``, without its own environment, with the
handshake variables set, reads the first stdout line (``1|2|unix|<socket>|grpc``) and then speaks
gRPC on the announced socket; at the end it calls the controller's Shutdown. The main job uses this
to show the dashboard through the real plugin, not through the Python functions behind it.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc

from cloudsql_cos_ts.proto import backend_pb2 as pb
from cloudsql_cos_ts.proto import backend_pb2_grpc as pb_grpc
from cloudsql_cos_ts.proto import controller_pb2 as ctl
from cloudsql_cos_ts.proto import controller_pb2_grpc as ctl_grpc

PLUGIN_ID = "ibm-cloudsqlcos-datasource"
GRAFANA_VERSION = "12.3.0"


def go_plugin_env(cache_dir: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The whole environment a plugin gets from Grafana (no PATH, no HOME)."""
    return {
        "grafana_plugin_type": "datasource",
        "PLUGIN_PROTOCOL_VERSIONS": "2",
        "PLUGIN_MIN_PORT": "10000",
        "PLUGIN_MAX_PORT": "25000",
        "GF_VERSION": GRAFANA_VERSION,
        "GF_PLUGIN_CACHE_DIR": str(cache_dir),
        **(extra or {}),
    }


def datasource_context(
    json_data: Mapping[str, Any], secure: Mapping[str, str] | None = None, *, uid: str, name: str, version: int = 1
) -> pb.PluginContext:
    """What Grafana sends about a configured datasource with every call."""
    return pb.PluginContext(
        orgId=1,
        pluginId=PLUGIN_ID,
        dataSourceInstanceSettings=pb.DataSourceInstanceSettings(
            id=1,
            uid=uid,
            name=name,
            jsonData=json.dumps(dict(json_data)).encode(),
            decryptedSecureJsonData=dict(secure or {}),
            lastUpdatedMS=version,
        ),
    )


@dataclass
class PluginHost:
    """One running plugin process and a channel to it."""

    command: Sequence[str]
    cache_dir: Path
    stderr_path: Path
    extra_env: Mapping[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    channel: grpc.Channel | None = None

    def start(self, timeout_s: float = 30.0) -> PluginHost:
        self.stderr_path.parent.mkdir(parents=True, exist_ok=True)
        with self.stderr_path.open("wb") as stderr:
            self.process = subprocess.Popen(
                list(self.command),
                env=go_plugin_env(self.cache_dir, self.extra_env),
                cwd="/",
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=stderr,
            )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().decode().strip()
        if not line:
            raise RuntimeError(f"the plugin exited before its handshake; its log: {self.stderr_path}")
        core, app, network, address, protocol = line.split("|")
        if (core, app, protocol) != ("1", "2", "grpc"):
            raise RuntimeError(f"unexpected handshake {line!r}")
        self.channel = grpc.insecure_channel(
            f"unix:{address}" if network == "unix" else address, options=[("grpc.max_receive_message_length", -1)]
        )
        grpc.channel_ready_future(self.channel).result(timeout=timeout_s)
        return self

    def _channel(self) -> grpc.Channel:
        if self.channel is None:
            raise RuntimeError("the plugin is not started")
        return self.channel

    def query_data(
        self,
        context: pb.PluginContext,
        queries: Sequence[pb.DataQuery],
        headers: Mapping[str, str] | None = None,
        timeout_s: float = 300.0,
    ) -> dict[str, pb.DataResponse]:
        request = pb.QueryDataRequest(pluginContext=context, queries=queries, headers=dict(headers or {}))
        return dict(pb_grpc.DataStub(self._channel()).QueryData(request, timeout=timeout_s).responses)

    def check_health(self, context: pb.PluginContext) -> pb.CheckHealthResponse:
        request = pb.CheckHealthRequest(pluginContext=context)
        return pb_grpc.DiagnosticsStub(self._channel()).CheckHealth(request, timeout=30)

    def stop(self) -> None:
        """Shutdown as Grafana asks for it, then make sure the process is gone."""
        if self.channel is not None:
            with contextlib.suppress(grpc.RpcError):  # already gone; the wait below tells
                ctl_grpc.GRPCControllerStub(self.channel).Shutdown(ctl.Empty(), timeout=5)
            self.channel.close()
        if self.process is not None:
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
            if self.process.stdout is not None:
                self.process.stdout.close()

    def __enter__(self) -> PluginHost:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


def data_query(
    ref_id: str,
    model: Mapping[str, Any],
    from_ms: int,
    to_ms: int,
    *,
    interval_ms: int = 60_000,
    max_points: int = 1000,
) -> pb.DataQuery:
    """One query as Grafana sends it: the model JSON plus the time range and interval."""
    return pb.DataQuery(
        refId=ref_id,
        json=json.dumps({**model, "refId": ref_id}).encode(),
        intervalMS=interval_ms,
        maxDataPoints=max_points,
        timeRange=pb.TimeRange(fromEpochMS=from_ms, toEpochMS=to_ms),
    )
