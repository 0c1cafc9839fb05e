"""File provisioning for the Grafana run: our datasource, the "VPC flow logs" dashboard, the alert rule.

Everything is built from ../shared/dashboards/vpc-flow-logs.md through ``tests.dashboard.dashboard_doc``
(the queries exactly as written there), so the provisioned dashboard and rule cannot drift from the
document. Grafana reads provisioning files as YAML; JSON is valid YAML, so they are written with
``json`` and no YAML library is needed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.dashboard.dashboard_doc import load_queries
from tests.e2e.grafana import PLUGIN_ID, RunFolders

DATASOURCE_UID = "e2e-vpc-flow-logs"
DASHBOARD_UID = "e2e-vpc-flow-logs"
ALERT_RULE_UID = "e2e-rejected-per-vsi"
ALERT_RULE_TITLE = "Rejected connections per VSI"
ALERT_THRESHOLD = 20
ALERT_INTERVAL = "10s"
ALERT_WINDOW_S = 3600
QUERIES = load_queries()


@dataclass(frozen=True)
class FlowLogFolders:
    """Where the datasource reads flow logs and writes $__dest results."""

    source: Path
    destination: Path


def datasource_ref() -> dict[str, str]:
    return {"type": PLUGIN_ID, "uid": DATASOURCE_UID}


def sql_target(ref_id: str, sql: str, **options: Any) -> dict[str, Any]:
    """A panel query in the frontend's query model (frontend/src/types.ts ``CloudSqlQuery``)."""
    return {"refId": ref_id, "datasource": datasource_ref(), "rawSql": sql, **options}


def dashboard_panels() -> list[dict[str, Any]]:
    """The six panels of the document, with their panel type and query options."""
    table = {"format": "table"}
    specs: list[tuple[str, str, list[dict[str, Any]]]] = [
        ("Data schema", "table", [sql_target("A", QUERIES["P1"], **table)]),
        ("Reject/Accept ratio to ${target_ip}", "gauge",
         [sql_target("A", QUERIES["P2"], format="table", timeColumn="start_time")]),
        ("Monitor rejected and accepted connections to ${target_ip}", "timeseries", [
            sql_target("A", QUERIES["P3A"], getResult=False),
            sql_target("B", QUERIES["P3B"], format="time_series", timeColumn="tt", metricsColumn="action"),
        ]),
        ("Top source IPs rejected by ${target_ip}", "bargauge", [sql_target("A", QUERIES["P4"], **table)]),
        ("Top rejected connections in the VPC", "bargauge", [sql_target("A", QUERIES["P5"], **table)]),
        ("Bad actor detection", "gauge", [sql_target("A", QUERIES["P6"], **table)]),
    ]
    return [
        {"id": index + 1, "title": title, "type": kind, "datasource": datasource_ref(), "targets": targets,
         "gridPos": {"h": 8, "w": 12, "x": 12 * (index % 2), "y": 8 * (index // 2)}}
        for index, (title, kind, targets) in enumerate(specs)
    ]


def query_variable(name: str, sql: str) -> dict[str, Any]:
    return {"name": name, "type": "query", "datasource": datasource_ref(), "refresh": 2,
            "query": {"refId": "tempvar", "rawSql": sql, "format": "table"}}


def dashboard_model() -> dict[str, Any]:
    return {
        "uid": DASHBOARD_UID,
        "title": "VPC flow logs (e2e)",
        "schemaVersion": 38,
        "time": {"from": "now-6h", "to": "now"},
        "templating": {"list": [query_variable("target_ip", QUERIES["target_ip"]),
                                query_variable("target_ip_private", QUERIES["target_ip_private"])]},
        "panels": dashboard_panels(),
    }


def alert_query_model() -> dict[str, Any]:
    return sql_target("A", QUERIES["alert"], format="time_series", metricsColumn="target_ip")


def expression(ref_id: str, model: dict[str, Any]) -> dict[str, Any]:
    return {"refId": ref_id, "datasourceUid": "__expr__", "relativeTimeRange": {"from": 0, "to": 0},
            "model": {"refId": ref_id, "datasource": {"type": "__expr__", "uid": "__expr__"}, **model}}


def alert_rule_group() -> dict[str, Any]:
    """Query A (the document's alert SQL) → Reduce last → Threshold, evaluated every ten seconds."""
    query = {"refId": "A", "datasourceUid": DATASOURCE_UID, "model": alert_query_model(),
             "relativeTimeRange": {"from": ALERT_WINDOW_S, "to": 0}}
    reduce = expression("B", {"type": "reduce", "expression": "A", "reducer": "last"})
    threshold = expression("C", {"type": "threshold", "expression": "B",
                                 "conditions": [{"evaluator": {"type": "gt", "params": [ALERT_THRESHOLD]}}]})
    rule = {"uid": ALERT_RULE_UID, "title": ALERT_RULE_TITLE, "condition": "C", "data": [query, reduce, threshold],
            "for": "0s", "noDataState": "OK", "execErrState": "Error"}
    return {"orgId": 1, "name": "flow logs", "folder": "VPC flow logs", "interval": ALERT_INTERVAL, "rules": [rule]}


def write_json(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2))


def provision(folders: RunFolders, flow_logs: FlowLogFolders) -> None:
    """Write every provisioning file Grafana reads at startup (datasources → dashboards → alerting)."""
    json_data = {"engine": "duckdb", "source": str(flow_logs.source), "destination": str(flow_logs.destination)}
    write_json(folders.provisioning / "datasources" / "flowlogs.yaml", {"apiVersion": 1, "datasources": [
        {"name": "VPC flow logs", "uid": DATASOURCE_UID, "type": PLUGIN_ID, "access": "proxy", "isDefault": True,
         "jsonData": json_data},
    ]})
    dashboards = folders.root / "dashboards"
    write_json(dashboards / "vpc-flow-logs.json", dashboard_model())
    write_json(folders.provisioning / "dashboards" / "e2e.yaml", {"apiVersion": 1, "providers": [
        {"name": "e2e", "type": "file", "disableDeletion": True, "options": {"path": str(dashboards)}},
    ]})
    write_json(folders.provisioning / "alerting" / "rules.yaml", {"apiVersion": 1, "groups": [alert_rule_group()]})
