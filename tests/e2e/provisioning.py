"""File provisioning for the Grafana run: our datasource, the bundled dashboard, the shipped alert rule.

The dashboard is the one inside the plugin (dist/dashboards, plugin.json ``includes``), loaded by a
dashboard provider pointed at the installed plugin folder as content/provisioning/dashboards
suggests; the alert rule is content/provisioning/alerting/rejected-connections.yaml with one change,
a ten-second evaluation interval instead of one minute, so the test waits seconds, not minutes.
Both refer to the datasource by the shipped uid. Grafana reads provisioning files as YAML; JSON is
valid YAML, so the files written here use ``json``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.e2e.grafana import PLUGIN_ID, RunFolders

REPO = Path(__file__).resolve().parents[2]
SHIPPED_RULE = REPO / "content" / "provisioning" / "alerting" / "rejected-connections.yaml"
SHIPPED_INTERVAL, TEST_INTERVAL = "interval: 1m\n", "interval: 10s\n"
DATASOURCE_UID = "vpc-flow-logs"
ALERT_RULE_TITLE = "Rejected connections per VSI"
ALERT_THRESHOLD = 20


@dataclass(frozen=True)
class FlowLogFolders:
    """Where the datasource reads flow logs and writes $__dest results."""

    source: Path
    destination: Path


def datasource_ref() -> dict[str, str]:
    return {"type": PLUGIN_ID, "uid": DATASOURCE_UID}


def sql_target(ref_id: str, sql: str, **options: Any) -> dict[str, Any]:
    """A query in the frontend's query model (frontend/src/types.ts ``CloudSqlQuery``)."""
    return {"refId": ref_id, "datasource": datasource_ref(), "rawSql": sql, **options}


def bundled_dashboard_uid(plugin_folder: Path) -> str:
    return str(json.loads((plugin_folder / "dashboards" / "vpc-flow-logs.json").read_text())["uid"])


def fast_alert_rule() -> str:
    """The shipped rule file, evaluated every ten seconds instead of every minute."""
    text = SHIPPED_RULE.read_text()
    assert text.count(SHIPPED_INTERVAL) == 1, f"{SHIPPED_RULE} no longer has exactly one {SHIPPED_INTERVAL!r}"
    return text.replace(SHIPPED_INTERVAL, TEST_INTERVAL)


def write_json(path: Path, document: dict[str, Any]) -> None:
    path.write_text(json.dumps(document, indent=2))


def provision(folders: RunFolders, flow_logs: FlowLogFolders) -> None:
    """Write every provisioning file Grafana reads at startup (datasources → dashboards → alerting)."""
    json_data = {"engine": "duckdb", "source": str(flow_logs.source), "destination": str(flow_logs.destination)}
    write_json(folders.provisioning / "datasources" / "flowlogs.yaml", {"apiVersion": 1, "datasources": [
        {"name": "VPC flow logs", "uid": DATASOURCE_UID, "type": PLUGIN_ID, "access": "proxy", "isDefault": True,
         "jsonData": json_data},
    ]})
    write_json(folders.provisioning / "dashboards" / "bundled.yaml", {"apiVersion": 1, "providers": [
        {"name": "cloudsql-cos-ts", "orgId": 1, "folder": "IBM Cloud", "type": "file",
         "options": {"path": str(folders.plugins / PLUGIN_ID / "dashboards")}},
    ]})
    (folders.provisioning / "alerting" / SHIPPED_RULE.name).write_text(fast_alert_rule())
