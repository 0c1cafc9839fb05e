"""A conf/provisioning folder for the host, derived from the shipped content/provisioning files.

Only what a user adjusts on install changes: the datasource's source and destination point at the
test's local folders, and the dashboard provider's path at the plugin folder under test. The
secrets stay ``${ENV}`` references that the host expands from its environment, as Grafana does;
the alert rule is copied as shipped. Each replaced line must appear exactly once, so a change to the
shipped files shows up here instead of silently testing something else.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "content" / "provisioning"
DATASOURCE_FILE = SHIPPED / "datasources" / "cloudsql-cos-ts.yaml"
DASHBOARDS_FILE = SHIPPED / "dashboards" / "cloudsql-cos-ts.yaml"
ALERT_RULE_FILE = SHIPPED / "alerting" / "rejected-connections.yaml"
DATASOURCE_UID = "vpc-flow-logs"
ALERT_RULE_UID = "rejected-connections-per-vsi"
# The values the host's environment gives the ${...} references of the datasource file.
SECRET_ENV = {"IBM_CLOUD_API_KEY": "test-api-key-not-a-secret", "IBM_COS_SERVICE_INSTANCE_ID": "crn:test:instance"}


@dataclass(frozen=True)
class FlowLogFolders:
    """Where the datasource reads flow logs and writes $__dest results."""

    source: Path
    destination: Path


def replace_value(text: str, key: str, value: str, where: Path) -> str:
    """Swap the value of the one uncommented ``key: ...`` line of a shipped YAML file."""
    lines = text.splitlines(keepends=True)
    hits = [i for i, line in enumerate(lines) if line.lstrip().startswith(f"{key}:")]
    assert len(hits) == 1, f"{where} has {len(hits)} '{key}:' lines, expected exactly one"
    line = lines[hits[0]]
    indent = line[: len(line) - len(line.lstrip())]
    lines[hits[0]] = f"{indent}{key}: {value}\n"
    return "".join(lines)


def provision(target: Path, plugin_dir: Path, flow_logs: FlowLogFolders) -> Path:
    """Write target/{datasources,dashboards,alerting}/*.yaml; returns target."""
    datasource = DATASOURCE_FILE.read_text()
    datasource = replace_value(datasource, "source", str(flow_logs.source), DATASOURCE_FILE)
    datasource = replace_value(datasource, "destination", str(flow_logs.destination), DATASOURCE_FILE)
    dashboards = replace_value(DASHBOARDS_FILE.read_text(), "path", str(plugin_dir / "dashboards"), DASHBOARDS_FILE)
    for folder, name, text in (("datasources", DATASOURCE_FILE.name, datasource),
                               ("dashboards", DASHBOARDS_FILE.name, dashboards),
                               ("alerting", ALERT_RULE_FILE.name, ALERT_RULE_FILE.read_text())):
        (target / folder).mkdir(parents=True, exist_ok=True)
        (target / folder / name).write_text(text)
    return target
