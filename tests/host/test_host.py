"""Our dist/ in the Grafana-less host, checked only through the host's HTTP front (Grafana's API paths).

The counterparts of the former checks against a real Grafana server: the plugin loaded unsigned with
its backend running, file provisioning of the datasource (with ``${ENV}`` secrets), the bundled
dashboard and the shipped alert rule, ``/api/ds/query`` with the dashboard's queries as stored
(template variables interpolated by the frontend's own code; values compared with a plain-Python
computation over the generated records), our 400 passed through, the alert rule evaluated the way
unified alerting does, and a killed plugin process restarted. The tests run in file order: the kill
comes last.
"""

from __future__ import annotations

import json
import os
import signal
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil
import pytest

from cloudsql_cos_ts.flowlogs.schema import FLOW_FLAT_COLUMNS
from tests.dashboard.expected import Record, bucket_counts, counts_by, epoch_ms, in_range
from tests.dashboard.shipped import load_queries
from tests.enrichment.samples import Reference
from tests.health.stages import STAGES
from tests.host.conftest import HostWorld
from tests.host.frames import Frame, QueryResult, results_of
from tests.host.host import BUILD_TIMEOUT_S, EXECUTABLE, PLUGIN_ID, HostProcess, wait_for
from tests.host.provisioning import ALERT_RULE_UID, DATASOURCE_UID, SECRET_ENV

# The first test of a fresh machine waits for the host build inside the session fixture.
pytestmark = pytest.mark.timeout(BUILD_TIMEOUT_S + 600)
PLUGIN_RESTART_TIMEOUT_S = 60
ALERT_WINDOW = timedelta(minutes=30)  # the rule's relativeTimeRange.from
ALERT_BUCKET_MS = 300_000  # $__timeGroup(start_time, '5m')
ALERT_THRESHOLD = 20


class Window:
    """The query range: from the first generated window to now, in ms and as datetimes."""

    def __init__(self, world: HostWorld) -> None:
        self.from_ms = epoch_ms(world.summary.start)
        self.to_ms = epoch_ms(datetime.now(UTC))
        self.start = datetime.fromtimestamp(self.from_ms / 1000, tz=UTC)
        self.end = datetime.fromtimestamp(self.to_ms / 1000, tz=UTC)


def ds_query(host: HostProcess, targets: list[dict[str, Any]], window: Window) -> tuple[int, dict[str, QueryResult]]:
    """One /api/ds/query call, as the panel's query runner sends it."""
    body = {"from": str(window.from_ms), "to": str(window.to_ms), "queries": targets}
    answer = host.request("POST", "/api/ds/query", body)
    assert isinstance(answer.body, dict) and "results" in answer.body, (answer.status, answer.body)
    return answer.status, results_of(answer.body)


def ok_frames(host: HostProcess, targets: list[dict[str, Any]], window: Window) -> dict[str, list[Frame]]:
    status, results = ds_query(host, targets, window)
    assert status == 200, {ref: r.error for ref, r in results.items()}
    return {ref: r.frames for ref, r in results.items()}


def single_table(host: HostProcess, target: dict[str, Any], window: Window) -> Frame:
    (frame,) = ok_frames(host, [target], window)[target["refId"]]
    return frame


def panel(world: HostWorld, panel_id: int) -> list[dict[str, Any]]:
    return world.requests.panels[panel_id]


def records_where(world: HostWorld, window: Window, time_column: str, **equal: str) -> list[Record]:
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


def test_dist_has_no_dangling_symlinks(world: HostWorld) -> None:
    """The host (like Grafana's finder) refuses a folder with a link that points nowhere; it loaded dist/ itself."""
    dangling = [p for p in world.dist.rglob("*") if p.is_symlink() and not p.exists()]
    assert dangling == []
    assert world.host.get("/api/host/plugin")["executable"] == str(world.dist / EXECUTABLE)


def test_the_plugin_is_loaded_unsigned_and_its_backend_runs(world: HostWorld) -> None:
    plugin = world.host.get("/api/host/plugin")
    manifest = json.loads((world.dist / "plugin.json").read_text())
    assert plugin["id"] == PLUGIN_ID and plugin["type"] == "datasource" and plugin["signature"] == "unsigned"
    assert plugin["version"] == manifest["info"]["version"]
    assert (plugin["backend"], plugin["alerting"], plugin["annotations"]) == (True, True, True)
    assert psutil.Process(plugin["pid"]).ppid() == world.host.process.pid  # type: ignore[union-attr]
    metrics = world.host.request("GET", f"/api/plugins/{PLUGIN_ID}/metrics")
    assert metrics.status == 200 and "cloudsql_cos_ts_queries_total" in metrics.body, metrics


def test_the_plugin_runs_with_grafanas_environment_from_the_root(world: HostWorld) -> None:
    """Grafana skips its own environment: no PATH, no HOME, none of the host's secrets; cwd is /."""
    plugin = psutil.Process(world.host.get("/api/host/plugin")["pid"])
    environment = plugin.environ()
    assert plugin.cwd() == "/"
    assert {"PATH", "HOME", *SECRET_ENV}.isdisjoint(environment), sorted(environment)
    assert environment["GF_VERSION"] and environment["GF_PLUGIN_CACHE_DIR"]
    assert environment["grafana_plugin_type"] == "datasource" and environment["PLUGIN_PROTOCOL_VERSIONS"] == "2"


def test_the_datasource_is_provisioned(world: HostWorld) -> None:
    datasource = world.host.get(f"/api/datasources/uid/{DATASOURCE_UID}")
    assert datasource["type"] == PLUGIN_ID and datasource["name"] == "VPC flow logs"
    json_data = datasource["jsonData"]
    assert (json_data["source"], json_data["destination"]) == (str(world.flow_logs.source),
                                                              str(world.flow_logs.destination))
    assert json_data["engine"] == "duckdb"
    # ${IBM_COS_SERVICE_INSTANCE_ID} expanded from the host's environment; the secret is only named
    assert json_data["serviceInstanceId"] == SECRET_ENV["IBM_COS_SERVICE_INSTANCE_ID"]
    assert datasource["secureJsonFields"] == {"apiKey": True}
    assert SECRET_ENV["IBM_CLOUD_API_KEY"] not in json.dumps(datasource)


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_save_and_test_reports_our_stages(world: HostWorld, method: str) -> None:
    answer = world.host.request(method, f"/api/datasources/uid/{DATASOURCE_UID}/health")
    assert answer.status == 200, answer.body
    assert answer.body["status"] == "OK" and "DuckDB" in answer.body["message"], answer.body
    stages = answer.body["details"]["stages"]
    assert [s["name"] for s in stages] == list(STAGES)
    assert all(s["status"] != "error" for s in stages), stages


def test_the_bundled_dashboard_is_provisioned_with_the_shipped_queries(world: HostWorld) -> None:
    dashboard = world.dashboard
    assert dashboard == json.loads((world.dist / "dashboards" / "vpc-flow-logs.json").read_text())
    variables = dashboard["templating"]["list"]
    targets = [t for p in dashboard["panels"] for t in p["targets"]]
    assert len(dashboard["panels"]) == 9
    assert [v["name"] for v in variables] == ["target_ip", "target_ip_private"]
    assert all(t["datasource"] == {"type": PLUGIN_ID, "uid": DATASOURCE_UID} for t in [*targets, *variables])
    shipped = load_queries()
    assert {t["rawSql"] for t in targets} | {v["query"]["rawSql"] for v in variables} == {
        sql for name, sql in shipped.items() if name != "alert"}


def test_variable_target_ip(world: HostWorld) -> None:
    window = Window(world)
    frame = single_table(world.host, world.requests.variables["target_ip"], window)
    inbound = records_where(world, window, "start_time", direction="I")
    assert frame.names == ["target_ip"]
    assert frame.columns[0] == sorted({r.fields["target_ip"] for r in inbound})


def test_variable_target_ip_private(world: HostWorld) -> None:
    frame = single_table(world.host, world.requests.variables["target_ip_private"], Window(world))
    inbound = [r for r in world.records if r.fields["direction"] == "I"]
    labels = {(f"{r.fields['target_ip']} ({r.header['network_interface_id']})", r.fields["target_ip"]) for r in inbound}
    assert frame.names == ["label", "value"] and frame.rows() == sorted(labels)


def test_panel_1_data_schema(world: HostWorld) -> None:
    (target,) = panel(world, 1)
    frame = single_table(world.host, target, Window(world))
    assert frame.names[:2] == ["name", "type"]
    assert frame.columns[0] == [name for name, _ in FLOW_FLAT_COLUMNS]


def test_panel_2_reject_accept_ratio(world: HostWorld) -> None:
    window = Window(world)
    (target,) = panel(world, 2)
    assert world.summary.scanned_target in target["rawSql"] and "${target_ip}" not in target["rawSql"]
    frame = single_table(world.host, target, window)
    actions = counts_by(records_where(world, window, "start_time", target_ip=world.summary.scanned_target), "action")
    assert actions["rejected"] > 0
    assert frame.rows() == [(actions["rejected"], actions["accepted"])]


def test_panel_3_chained_time_series(world: HostWorld) -> None:
    """Both targets in one QueryData call, as Grafana sends a panel's queries: B reads what A wrote."""
    window = Window(world)
    frames = ok_frames(world.host, panel(world, 3), window)
    assert frames["A"] == []
    got = {frame.value_labels()["action"]: frame.series() for frame in frames["B"]}
    target = records_where(world, window, "start_time", target_ip=world.summary.scanned_target)
    expected = bucket_counts(target, "action", "start_time", 3_600_000, empty=True)
    assert set(got) == {"accepted", "rejected"}
    assert got == {action: {t: float(n) for t, n in series.items()} for action, series in expected.items()}
    assert list(world.flow_logs.destination.rglob("*.parquet")), "query A wrote nothing to the destination"


def test_panel_4_top_rejected_sources(world: HostWorld) -> None:
    window = Window(world)
    (target,) = panel(world, 4)
    frame = single_table(world.host, target, window)
    rejected = records_where(world, window, "start_time", target_ip=world.summary.scanned_target, action="rejected")
    assert_top(counts_by(rejected, "initiator_ip"), frame.rows(), 25)


def test_panel_5_top_rejected_targets(world: HostWorld) -> None:
    window = Window(world)
    (target,) = panel(world, 5)
    rows = single_table(world.host, target, window).rows()
    rejected = records_where(world, window, "capture_start_time", action="rejected", direction="I")
    assert_top(counts_by(rejected, "target_ip"), rows, 10)
    assert rows[0][0] == world.summary.scanned_target


def test_panel_6_bad_actor(world: HostWorld) -> None:
    window = Window(world)
    (target,) = panel(world, 6)
    ((ip, count, ports),) = single_table(world.host, target, window).rows()
    rejected = records_where(world, window, "connection_start_time", action="rejected")
    counts = counts_by(rejected, "initiator_ip")
    assert ip == world.summary.scanner_ip and count == max(counts.values()) == counts[ip]
    assert ports == len({r.fields["target_port"] for r in rejected if r.fields["initiator_ip"] == ip})


def test_panel_7_rejected_traffic_by_country(world: HostWorld) -> None:
    """The generator's rejected sources include public networks of several countries: the panel has rows."""
    window, reference = Window(world), Reference()
    (target,) = panel(world, 7)
    rows = single_table(world.host, target, window).rows()
    rejected = records_where(world, window, "capture_start_time", action="rejected")
    countries = Counter(c for c in (reference.country_of(r.fields["initiator_ip"]) for r in rejected) if c)
    assert len(countries) >= 3
    assert_top(countries, rows, 15)


def test_panel_8_top_source_networks(world: HostWorld) -> None:
    window, reference = Window(world), Reference()
    (target,) = panel(world, 8)
    rows = single_table(world.host, target, window).rows()
    flows = records_where(world, window, "capture_start_time")
    networks = Counter(f"AS{asn} {reference.as_names.get(asn, '')}" for asn in
                       (reference.asn_of(r.fields["initiator_ip"]) for r in flows) if asn is not None)
    assert len(networks) >= 3
    assert_top(networks, rows, 10)


def test_a_broken_macro_is_our_400_through_the_host(world: HostWorld) -> None:
    target = {"refId": "A", "datasource": {"type": PLUGIN_ID, "uid": DATASOURCE_UID}, "rawSql": "SELECT $__bogus",
              "format": "table"}
    status, results = ds_query(world.host, [target], Window(world))
    assert status == 400
    assert results["A"].error.startswith("unknown macro $__bogus at line 1, column 8; known macros:"), results["A"]


def test_a_saved_config_reaches_the_plugin(world: HostWorld) -> None:
    """PUT as the config editor saves: a new version, and the plugin's next health check uses the new settings."""
    path = f"/api/datasources/uid/{DATASOURCE_UID}"
    before = world.host.get(path)
    moved = world.flow_logs.destination.parent / "results-moved"
    try:
        saved = world.host.request("PUT", path, {"jsonData": {**before["jsonData"], "destination": str(moved)},
                                                 "secureJsonData": {"apiKey": "another-test-key"}})
        assert saved.status == 200 and saved.body["message"] == "Datasource updated", saved.body
        assert saved.body["datasource"]["version"] == before["version"] + 1
        assert saved.body["datasource"]["secureJsonFields"] == {"apiKey": True}
        health = world.host.get(f"{path}/health")
        (destination,) = [s for s in health["details"]["stages"] if s["name"] == "destination"]
        assert str(moved) in destination["detail"], destination
    finally:
        restored = world.host.request("PUT", path, {"jsonData": before["jsonData"]})
        assert restored.status == 200, restored.body


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "health", 200),
    ("GET", "does/not/exist", 404),
])
def test_resources_pass_through(world: HostWorld, method: str, path: str, status: int) -> None:
    answer = world.host.request(method, f"/api/datasources/uid/{DATASOURCE_UID}/resources/{path}")
    assert answer.status == status, answer.body
    assert answer.headers.get("Access-Control-Allow-Origin") == "*"
    assert ("status" if status == 200 else "error") in answer.body


def test_cors_preflight(world: HostWorld) -> None:
    answer = world.host.request("OPTIONS", "/api/ds/query", headers={"Origin": "http://127.0.0.1:1",
                                                                      "Access-Control-Request-Method": "POST",
                                                                      "Access-Control-Request-Headers": "content-type"})
    assert answer.status == 204
    assert answer.headers.get("Access-Control-Allow-Origin") == "*"
    assert "POST" in answer.headers.get("Access-Control-Allow-Methods", "")


def expected_alert_states(world: HostWorld, evaluated_at_ms: int) -> dict[str, str]:
    """The rule in plain Python: rejected records of the last 30 minutes in 5-minute buckets per
    target, the last bucket's count against the threshold."""
    end = datetime.fromtimestamp(evaluated_at_ms / 1000, tz=UTC)
    buckets: dict[str, dict[int, int]] = defaultdict(dict)
    rejected = [r for r in world.records
                if r.fields["action"] == "rejected" and in_range(r, "start_time", end - ALERT_WINDOW, end)]
    for target, series in bucket_counts(rejected, "target_ip", "start_time", ALERT_BUCKET_MS).items():
        buckets[target] = series
    return {target: "Alerting" if series[max(series)] > ALERT_THRESHOLD else "Normal"
            for target, series in buckets.items()}


def test_the_alert_rule_fires_for_the_scanned_target_only(world: HostWorld) -> None:
    answer = world.host.request("POST", "/api/host/alerting/evaluate")
    assert answer.status == 200, answer.body
    (rule,) = [r for r in answer.body if r["uid"] == ALERT_RULE_UID]
    assert "error" not in rule, rule
    states = {i["labels"]["target_ip"]: i["state"] for i in rule["instances"]}
    assert {t for t, s in states.items() if s == "Alerting"} == {world.summary.scanned_target}, states
    assert states == expected_alert_states(world, rule["evaluatedAt"])


def socket_folder(plugin: psutil.Process) -> Path:
    """The private folder of the unix socket the plugin listens on (accepted connections share the path)."""
    (path,) = {c.laddr for c in plugin.net_connections(kind="unix") if c.laddr and c.laddr.endswith("/plugin.sock")}
    return Path(path).parent


def answered_query(world: HostWorld, window: Window) -> QueryResult | None:
    status, results = ds_query(world.host, panel(world, 6), window)
    return results["A"] if status == 200 else None


def restarted(world: HostWorld, old_pid: int) -> dict[str, Any] | None:
    plugin: dict[str, Any] = world.host.get("/api/host/plugin")
    return plugin if plugin["pid"] not in (0, old_pid) else None


def test_the_host_restarts_a_killed_plugin_and_the_next_query_succeeds(world: HostWorld) -> None:
    before = world.host.get("/api/host/plugin")
    plugin = psutil.Process(before["pid"])
    left = socket_folder(plugin)
    os.kill(before["pid"], signal.SIGKILL)
    plugin.wait(timeout=10)
    after = wait_for("the host restarting the plugin", lambda: restarted(world, before["pid"]),
                     PLUGIN_RESTART_TIMEOUT_S)
    assert after["restarts"] == before["restarts"] + 1
    fresh = psutil.Process(after["pid"])
    assert fresh.ppid() == world.host.process.pid  # type: ignore[union-attr]
    window = Window(world)
    result = wait_for("a query answered by the restarted plugin", lambda: answered_query(world, window),
                      PLUGIN_RESTART_TIMEOUT_S, interval_s=1.0)
    ((ip, _, _),) = result.frames[0].rows()
    assert ip == world.summary.scanner_ip
    # the killed plugin could not remove its socket folder; the plugin started instead does
    wait_for("the restarted plugin removing its killed predecessor's socket folder",
             lambda: True if not left.exists() else None, PLUGIN_RESTART_TIMEOUT_S)
    assert socket_folder(fresh).is_dir()
