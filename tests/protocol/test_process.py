"""The plugin process as Grafana sees it: launch checks, handshake, logs, health, signals, shutdown."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cloudsql_cos_ts.proto import backend_pb2 as pb
from cloudsql_cos_ts.server.main import ARROW_POOL_VARIABLE, choose_arrow_allocator
from tests.health.stages import STAGES
from tests.plugin_host import PluginProcess, datasource_context, grafana_env, plugin_command

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d\d:\d\d)$")


@pytest.mark.parametrize(
    ("env_change", "expected"),
    [
        ({"grafana_plugin_type": None}, "grafana_plugin_type=datasource"),
        ({"grafana_plugin_type": "app"}, "grafana_plugin_type=datasource"),
        ({"PLUGIN_PROTOCOL_VERSIONS": "1"}, "speaks version 2"),
        ({"PLUGIN_PROTOCOL_VERSIONS": None}, "speaks version 2"),
        ({"PLUGIN_CLIENT_CERT": "-----BEGIN CERTIFICATE-----"}, "AutoMTLS"),
    ],
)
def test_refuses_to_start_outside_grafana(tmp_path: Path, env_change: dict[str, str | None], expected: str) -> None:
    env = grafana_env(tmp_path / "cache")
    for key, value in env_change.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    done = subprocess.run(plugin_command(), env=env, cwd="/", capture_output=True, timeout=60, check=False)
    assert done.returncode == 1
    assert done.stdout == b""
    lines = done.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and expected in lines[0]


@pytest.mark.parametrize(("given", "chosen"), [({}, "system"), ({ARROW_POOL_VARIABLE: "jemalloc"}, "jemalloc")])
def test_arrow_allocates_with_the_c_library_unless_the_operator_chose(given: dict[str, str], chosen: str) -> None:
    env = dict(given)
    choose_arrow_allocator(env)
    assert env[ARROW_POOL_VARIABLE] == chosen


def test_the_server_module_leaves_arrow_unloaded_until_the_allocator_is_chosen() -> None:
    """Arrow reads the allocator's variable once, when it is loaded: the server's module must not load it."""
    probe = "import sys, cloudsql_cos_ts.server.main; print('pyarrow' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "False"


def test_handshake_is_the_only_stdout_and_logs_are_hclog_json(tmp_path: Path) -> None:
    plugin = PluginProcess(cache_dir=tmp_path / "cache").start()
    try:
        assert re.fullmatch(r"1\|2\|unix\|/.+\|grpc", plugin.handshake)
        plugin.call_resource("health")
        plugin.diagnostics.CheckHealth(pb.CheckHealthRequest(pluginContext=datasource_context()), timeout=60)
        plugin.shutdown()
        assert plugin.wait(5) == 0
        assert plugin.process is not None and plugin.process.stdout is not None
        assert plugin.process.stdout.read() == b""  # nothing after the handshake either
    finally:
        plugin.stop()
    records = plugin.log_records()
    assert records, "the plugin logged nothing"
    for record in records:
        for key in ("@level", "@message", "@timestamp"):
            assert isinstance(record[key], str), record
        assert record["@level"] in {"trace", "debug", "info", "warn", "error"}
        assert TIMESTAMP.match(record["@timestamp"]), record["@timestamp"]
    assert any(r["@message"] == "plugin started" for r in records)


def test_health_service_serves_plugin_and_empty_names(plugin: PluginProcess) -> None:
    serving = 1
    assert plugin.health_status("plugin") == serving
    assert plugin.health_status("") == serving


def _exit_seconds(plugin: PluginProcess, stop: str) -> float:
    assert plugin.process is not None
    started = time.monotonic()
    if stop == "shutdown":
        plugin.shutdown()
    else:
        plugin.process.send_signal(signal.SIGTERM)
    assert plugin.wait(5) == 0
    return time.monotonic() - started


@pytest.mark.parametrize("stop", ["shutdown", "sigterm"])
def test_exits_within_one_second_and_cleans_its_socket(tmp_path: Path, stop: str) -> None:
    plugin = PluginProcess(cache_dir=tmp_path / "cache").start()
    try:
        socket_path = Path(plugin.handshake.split("|")[3])
        assert socket_path.exists()
        assert _exit_seconds(plugin, stop) < 1.0
        assert not socket_path.parent.exists()
    finally:
        plugin.stop()


def test_sigint_is_ignored(tmp_path: Path) -> None:
    plugin = PluginProcess(cache_dir=tmp_path / "cache").start()
    try:
        assert plugin.process is not None
        plugin.process.send_signal(signal.SIGINT)
        time.sleep(0.5)
        assert plugin.process.poll() is None
        assert plugin.call_resource("health")[0] == 200
    finally:
        plugin.stop()


def test_cache_dir_is_private(plugin: PluginProcess) -> None:
    assert (os.stat(plugin.cache_dir).st_mode & 0o777) == 0o700


@pytest.mark.parametrize(
    ("method", "path", "status", "key"),
    [
        ("GET", "health", 200, "status"),
        ("GET", "does/not/exist", 404, "error"),
        ("DELETE", "health", 405, "error"),
        ("POST", "expand", 400, "error"),  # no body
    ],
)
def test_call_resource_routes(plugin: PluginProcess, method: str, path: str, status: int, key: str) -> None:
    code, body = plugin.call_resource(path, method=method)
    assert code == status
    assert key in body


def test_collect_metrics_is_prometheus_text(plugin: PluginProcess) -> None:
    reply = plugin.diagnostics.CollectMetrics(pb.CollectMetricsRequest(pluginContext=datasource_context()), timeout=30)
    text = reply.metrics.prometheus.decode()
    for name in (
        "cloudsql_cos_ts_queries_total",
        "cloudsql_cos_ts_query_duration_seconds",
        "cloudsql_cos_ts_queries_in_flight",
    ):
        assert f"# TYPE {name.removesuffix('_total')}" in text or f"# TYPE {name}" in text, name


def test_check_health_reports_stages(plugin: PluginProcess) -> None:
    reply = plugin.diagnostics.CheckHealth(pb.CheckHealthRequest(pluginContext=datasource_context()), timeout=60)
    assert reply.status == pb.CheckHealthResponse.OK, reply.message
    stages = json.loads(reply.jsonDetails)["stages"]
    assert [s["name"] for s in stages] == list(STAGES)
    assert all(set(s) == {"name", "status", "ms", "detail"} for s in stages)
    assert "DuckDB" in reply.message


def test_check_health_names_the_bad_setting(plugin: PluginProcess) -> None:
    context = datasource_context({"engine": "oracle"}, uid="bad-engine")
    reply = plugin.diagnostics.CheckHealth(pb.CheckHealthRequest(pluginContext=context), timeout=60)
    assert reply.status == pb.CheckHealthResponse.ERROR
    assert reply.message.startswith("settings failed: engine must be one of duckdb, spark, dataengine")
    stages = json.loads(reply.jsonDetails)["stages"]
    assert [(s["name"], s["status"]) for s in stages] == [("settings", "error")] + [(n, "skipped") for n in STAGES[1:]]
