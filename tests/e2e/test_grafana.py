"""Our dist/ inside a real Grafana server, checked only through Grafana's HTTP API.

Covers what the protocol harness cannot: Grafana's plugin loading of an unsigned plugin, file
provisioning of the datasource, the bundled dashboard and the shipped alert rule, ``/api/ds/query``
with the queries of the dashboard as Grafana stored it (values compared with a plain-Python
computation over the generated records), error statuses passed through Grafana, the
unified-alerting scheduler evaluating our time series, and Grafana restarting a killed plugin
process. The tests run in file order: the kill comes last.
"""

from __future__ import annotations

import re
import signal
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil
import pytest

from cloudsql_cos_ts.flowlogs.schema import FLOW_FLAT_COLUMNS
from tests.dashboard.dashboard_doc import load_queries
from tests.dashboard.expected import Record, bucket_counts, counts_by, epoch_ms, in_range
from tests.e2e.conftest import GRAFANA_BUILD_TIMEOUT_S, OUTPUT, E2eWorld, dangling_symlinks
from tests.e2e.frames import Frame, QueryResult, results_of
from tests.e2e.grafana import PLUGIN_ID, GrafanaServer, wait_for
from tests.e2e.provisioning import ALERT_RULE_TITLE, ALERT_THRESHOLD, DATASOURCE_UID, datasource_ref, sql_target

# The first test of a fresh machine waits for the Grafana build inside the session fixture.
pytestmark = pytest.mark.timeout(GRAFANA_BUILD_TIMEOUT_S + 900)
ALERT_FIRE_TIMEOUT_S = 180
PLUGIN_RESTART_TIMEOUT_S = 90
QUERIES = load_queries()


class Window:
    """The query range: from the first generated window to now, in ms and as datetimes."""

    def __init__(self, world: E2eWorld) -> None:
        self.from_ms = epoch_ms(world.summary.start)
        self.to_ms = int(time.time() * 1000)
        self.start = datetime.fromtimestamp(self.from_ms / 1000, tz=UTC)
        self.end = datetime.fromtimestamp(self.to_ms / 1000, tz=UTC)


def ds_query(
    grafana: GrafanaServer, targets: list[dict[str, Any]], window: Window
) -> tuple[int, dict[str, QueryResult]]:
    body = {"from": str(window.from_ms), "to": str(window.to_ms),
            "queries": [{"intervalMs": 60_000, "maxDataPoints": 1000, **t} for t in targets]}
    answer = grafana.request("POST", "/api/ds/query", body)
    assert isinstance(answer.body, dict) and "results" in answer.body, (answer.status, answer.body)
    return answer.status, results_of(answer.body)


def ok_frames(grafana: GrafanaServer, targets: list[dict[str, Any]], window: Window) -> dict[str, list[Frame]]:
    status, results = ds_query(grafana, targets, window)
    assert status == 200, {ref: r.error for ref, r in results.items()}
    return {ref: r.frames for ref, r in results.items()}


def single_table(grafana: GrafanaServer, target: dict[str, Any], window: Window) -> Frame:
    (frame,) = ok_frames(grafana, [target], window)[target["refId"]]
    return frame


def with_target_ip(target: dict[str, Any], world: E2eWorld) -> dict[str, Any]:
    """Grafana's frontend substitutes ${target_ip} before the query reaches the server; so do we."""
    return {**target, "rawSql": target["rawSql"].replace("${target_ip}", world.summary.scanned_target)}


def stored_dashboard(world: E2eWorld) -> dict[str, Any]:
    """The bundled dashboard as Grafana stored it from provisioning."""
    dashboard: dict[str, Any] = world.grafana.get(f"/api/dashboards/uid/{world.dashboard_uid}")["dashboard"]
    return dashboard


def panel_targets(world: E2eWorld, title_start: str) -> list[dict[str, Any]]:
    (panel,) = [p for p in stored_dashboard(world)["panels"] if p["title"].startswith(title_start)]
    return [with_target_ip(t, world) for t in panel["targets"]]


def variable_target(world: E2eWorld, name: str) -> dict[str, Any]:
    (variable,) = [v for v in stored_dashboard(world)["templating"]["list"] if v["name"] == name]
    return {**variable["query"], "datasource": variable["datasource"]}


def records_where(world: E2eWorld, window: Window, time_column: str, **equal: str) -> list[Record]:
    return [
        r for r in world.records
        if all(r.fields[k] == v for k, v in equal.items()) and in_range(r, time_column, window.start, window.end)
    ]


def assert_top(expected: Counter[str], rows: list[tuple[Any, ...]], limit: int) -> None:
    """A top-N answer: right length, descending, exact counts, nothing larger left out."""
    assert len(rows) == min(limit, len(expected))
    counts = [row[1] for row in rows]
    assert counts == sorted(counts, reverse=True)
    assert all(expected[key] == n for key, n, *_ in rows)
    shown = {row[0] for row in rows}
    assert all(n <= counts[-1] for key, n in expected.items() if key not in shown)


def test_dist_has_no_dangling_symlinks(e2e: E2eWorld) -> None:
    """README's install step copies dist/; Grafana refuses to start when a link in it points nowhere."""
    assert dangling_symlinks(e2e.dist) == []


def test_the_plugin_is_loaded_unsigned_and_its_backend_runs(e2e: E2eWorld) -> None:
    listed = {p["id"]: p for p in e2e.grafana.get("/api/plugins?type=datasource")}
    assert PLUGIN_ID in listed, sorted(listed)
    assert listed[PLUGIN_ID]["signature"] == "unsigned"
    settings = e2e.grafana.get(f"/api/plugins/{PLUGIN_ID}/settings")
    assert settings["type"] == "datasource" and settings["info"]["version"]
    metrics = e2e.grafana.request("GET", f"/api/plugins/{PLUGIN_ID}/metrics")
    assert metrics.status == 200 and "cloudsql_cos_ts_queries_total" in metrics.body, metrics


def test_the_datasource_is_provisioned(e2e: E2eWorld) -> None:
    datasource = e2e.grafana.get(f"/api/datasources/uid/{DATASOURCE_UID}")
    assert datasource["type"] == PLUGIN_ID
    assert datasource["jsonData"] == {"engine": "duckdb", "source": str(e2e.flow_logs.source),
                                      "destination": str(e2e.flow_logs.destination)}


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_save_and_test_reports_our_stages(e2e: E2eWorld, method: str) -> None:
    answer = e2e.grafana.request(method, f"/api/datasources/uid/{DATASOURCE_UID}/health")
    assert answer.status == 200, answer.body
    assert answer.body["status"] == "OK" and "DuckDB" in answer.body["message"], answer.body
    stages = answer.body["details"]["stages"]
    assert [s["name"] for s in stages] == ["settings", "credentials", "source", "scan", "destination", "engine"]
    assert all(s["status"] != "error" for s in stages), stages


def test_the_bundled_dashboard_is_provisioned_with_the_documented_queries(e2e: E2eWorld) -> None:
    dashboard = stored_dashboard(e2e)
    variables = dashboard["templating"]["list"]
    targets = [t for p in dashboard["panels"] for t in p["targets"]]
    assert len(dashboard["panels"]) == 6
    assert [v["name"] for v in variables] == ["target_ip", "target_ip_private"]
    assert all(t["datasource"] == datasource_ref() for t in [*targets, *variables])
    documented = {QUERIES[name] for name in ("target_ip", "target_ip_private", "P1", "P2", "P3A", "P3B", "P4", "P5",
                                             "P6")}
    assert {t["rawSql"] for t in targets} | {v["query"]["rawSql"] for v in variables} == documented


def test_variable_target_ip(e2e: E2eWorld) -> None:
    window = Window(e2e)
    frame = single_table(e2e.grafana, variable_target(e2e, "target_ip"), window)
    inbound = records_where(e2e, window, "start_time", direction="I")
    assert frame.names == ["target_ip"]
    assert frame.columns[0] == sorted({r.fields["target_ip"] for r in inbound})


def test_variable_target_ip_private(e2e: E2eWorld) -> None:
    frame = single_table(e2e.grafana, variable_target(e2e, "target_ip_private"), Window(e2e))
    inbound = [r for r in e2e.records if r.fields["direction"] == "I"]
    labels = {(f"{r.fields['target_ip']} ({r.header['network_interface_id']})", r.fields["target_ip"]) for r in inbound}
    assert frame.names == ["label", "value"] and frame.rows() == sorted(labels)


def test_panel_1_data_schema(e2e: E2eWorld) -> None:
    (target,) = panel_targets(e2e, "Data schema")
    frame = single_table(e2e.grafana, target, Window(e2e))
    assert frame.names[:2] == ["name", "type"]
    assert frame.columns[0] == [name for name, _ in FLOW_FLAT_COLUMNS]


def test_panel_2_reject_accept_ratio(e2e: E2eWorld) -> None:
    window = Window(e2e)
    (target,) = panel_targets(e2e, "Reject/Accept ratio")
    frame = single_table(e2e.grafana, target, window)
    actions = counts_by(records_where(e2e, window, "start_time", target_ip=e2e.summary.scanned_target), "action")
    assert actions["rejected"] > 0
    assert frame.rows() == [(actions["rejected"], actions["accepted"])]


def test_panel_3_chained_time_series(e2e: E2eWorld) -> None:
    window = Window(e2e)
    frames = ok_frames(e2e.grafana, panel_targets(e2e, "Monitor rejected and accepted"), window)
    assert frames["A"] == []
    got = {frame.value_labels()["action"]: frame.series() for frame in frames["B"]}
    target = records_where(e2e, window, "start_time", target_ip=e2e.summary.scanned_target)
    expected = bucket_counts(target, "action", "start_time", 3_600_000)
    assert set(got) == {"accepted", "rejected"}
    assert got == {action: {t: float(n) for t, n in series.items()} for action, series in expected.items()}
    assert list(e2e.flow_logs.destination.rglob("*.parquet")), "query A wrote nothing to the destination"


def test_panel_4_top_rejected_sources(e2e: E2eWorld) -> None:
    window = Window(e2e)
    (target,) = panel_targets(e2e, "Top source IPs")
    frame = single_table(e2e.grafana, target, window)
    rejected = records_where(e2e, window, "start_time", target_ip=e2e.summary.scanned_target, action="rejected")
    assert_top(counts_by(rejected, "initiator_ip"), frame.rows(), 25)


def test_panel_5_top_rejected_targets(e2e: E2eWorld) -> None:
    window = Window(e2e)
    (target,) = panel_targets(e2e, "Top rejected connections")
    rows = single_table(e2e.grafana, target, window).rows()
    rejected = records_where(e2e, window, "capture_start_time", action="rejected", direction="I")
    assert_top(counts_by(rejected, "target_ip"), rows, 10)
    assert rows[0][0] == e2e.summary.scanned_target


def test_panel_6_bad_actor(e2e: E2eWorld) -> None:
    window = Window(e2e)
    (target,) = panel_targets(e2e, "Bad actor")
    ((ip, count, ports),) = single_table(e2e.grafana, target, window).rows()
    rejected = records_where(e2e, window, "connection_start_time", action="rejected")
    counts = counts_by(rejected, "initiator_ip")
    assert ip == e2e.summary.scanner_ip and count == max(counts.values()) == counts[ip]
    assert ports == len({r.fields["target_port"] for r in rejected if r.fields["initiator_ip"] == ip})


def test_a_broken_macro_is_our_400_through_grafana(e2e: E2eWorld) -> None:
    status, results = ds_query(e2e.grafana, [sql_target("A", "SELECT $__bogus", format="table")], Window(e2e))
    assert status == 400
    assert results["A"].error.startswith("unknown macro $__bogus at line 1, column 8; known macros:"), results["A"]


def firing_rule(grafana: GrafanaServer) -> dict[str, Any] | None:
    """The rule as the Prometheus-style API shows it once an instance is Alerting; an error fails at once."""
    groups = grafana.get("/api/prometheus/grafana/api/v1/rules")["data"]["groups"]
    (rule,) = [r for g in groups for r in g["rules"] if r["name"] == ALERT_RULE_TITLE]
    assert rule.get("health") != "error", rule.get("lastError")
    alerts: list[dict[str, Any]] = rule.get("alerts") or []
    return rule if any(a["state"] == "Alerting" for a in alerts) else None


def parse_instant(text: str) -> datetime:
    """Grafana writes nanoseconds; Python's parser takes at most microseconds."""
    return datetime.fromisoformat(re.sub(r"(\.\d{6})\d+", r"\1", text))


def test_the_alert_rule_fires_for_the_scanned_target_only(e2e: E2eWorld) -> None:
    rule = wait_for("the alert rule reaching Alerting", lambda: firing_rule(e2e.grafana), ALERT_FIRE_TIMEOUT_S)
    states = {a["labels"].get("target_ip", ""): a["state"] for a in rule["alerts"]}
    assert {t for t, s in states.items() if s == "Alerting"} == {e2e.summary.scanned_target}, states
    assert all(s in {"Alerting", "Normal"} for s in states.values()), states
    (alert,) = [a for a in rule["alerts"] if a["state"] == "Alerting"]
    fired_after = parse_instant(alert["activeAt"]).timestamp() - e2e.grafana.started_wall
    OUTPUT.mkdir(parents=True, exist_ok=True)
    with (OUTPUT / "timings.txt").open("a") as timings:
        timings.write(f"{time.strftime('%FT%T')} alert Alerting {fired_after:.1f}s after Grafana was started "
                      f"(API ready after {e2e.ready_seconds:.1f}s; threshold {ALERT_THRESHOLD}); states {states}\n")


def plugin_processes(grafana: GrafanaServer) -> list[psutil.Process]:
    """Our backend processes that Grafana started (the launcher execs the bundled backend)."""
    assert grafana.process is not None
    children = psutil.Process(grafana.process.pid).children(recursive=True)
    return [p for p in children if any("gpx_cloudsql_cos_ts" in part for part in p.cmdline())]


def restarted_plugin(grafana: GrafanaServer, old_pid: int) -> psutil.Process | None:
    running = [p for p in plugin_processes(grafana) if p.pid != old_pid and p.is_running()]
    return running[0] if running else None


def answered_query(grafana: GrafanaServer, window: Window) -> QueryResult | None:
    status, results = ds_query(grafana, [sql_target("A", QUERIES["P6"], format="table")], window)
    return results["A"] if status == 200 else None


def socket_folder(plugin: psutil.Process) -> Path:
    """The private folder of the unix socket the plugin listens on (accepted connections share the path)."""
    (path,) = {c.laddr for c in plugin.net_connections(kind="unix") if c.laddr and c.laddr.endswith("/plugin.sock")}
    return Path(path).parent


def test_grafana_restarts_a_killed_plugin_and_the_next_query_succeeds(e2e: E2eWorld) -> None:
    assert e2e.grafana.process is not None
    (plugin,) = plugin_processes(e2e.grafana)
    assert plugin.ppid() == e2e.grafana.process.pid
    left = socket_folder(plugin)
    plugin.send_signal(signal.SIGKILL)
    plugin.wait(timeout=10)
    fresh = wait_for("Grafana restarting the plugin", lambda: restarted_plugin(e2e.grafana, plugin.pid),
                     PLUGIN_RESTART_TIMEOUT_S)
    assert fresh.ppid() == e2e.grafana.process.pid
    window = Window(e2e)
    result = wait_for("a query answered by the restarted plugin", lambda: answered_query(e2e.grafana, window),
                      PLUGIN_RESTART_TIMEOUT_S, interval_s=1.0)
    ((ip, _, _),) = result.frames[0].rows()
    assert ip == e2e.summary.scanner_ip
    # the killed plugin could not remove its socket folder; the plugin Grafana started instead does
    wait_for("the restarted plugin removing its killed predecessor's socket folder",
             lambda: True if not left.exists() else None, PLUGIN_RESTART_TIMEOUT_S)
    assert socket_folder(fresh).is_dir()
