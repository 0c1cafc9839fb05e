"""One Grafana-less host for the session, loading dist/ as an unsigned plugin.

The session fixture builds the host (scripts/host_build.sh), generates six hours of flow logs
ending now (so relative ranges and the alert rule see data), provisions the shipped datasource,
dashboard and alert rule (tests/host/provisioning.py) and starts the host; the plugin folder is
dist/ itself. A missing piece fails the tests, never skips them. The host's log (with the plugin's)
stays in tests/.output/host/.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cloudsql_cos_ts.flowlogs.generator import GenerationSummary, generate
from tests.dashboard.expected import Record, load_records
from tests.host.dashboard import DashboardRequests, dashboard_requests
from tests.host.host import REPO, HostProcess, dist_folder, host_binary
from tests.host.provisioning import SECRET_ENV, FlowLogFolders, provision

OUTPUT = REPO / "tests" / ".output" / "host"
FLOW_LOG_HOURS = 6
DASHBOARD_UID = "vpc-flow-logs-dashboard"


@dataclass
class HostWorld:
    host: HostProcess
    summary: GenerationSummary
    records: list[Record]
    flow_logs: FlowLogFolders
    dist: Path
    dashboard: dict[str, Any]  # as the host serves it from provisioning
    requests: DashboardRequests  # its queries as Grafana's frontend sends them


def recent_flow_logs(root: Path) -> tuple[FlowLogFolders, GenerationSummary]:
    """Three vNICs over the six hours that end at the current five-minute window."""
    folders = FlowLogFolders(source=root / "flowlogs", destination=root / "results")
    summary = generate(folders.source, vnics=3, days=FLOW_LOG_HOURS / 24, records_per_object=20, seed=11)
    assert summary.end > datetime.now(UTC) - timedelta(minutes=10), summary.end
    return folders, summary


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostWorld]:
    binary = host_binary()
    dist = dist_folder()
    root = tmp_path_factory.mktemp("host")
    flow_logs, summary = recent_flow_logs(root)
    host = HostProcess(binary=binary, plugin_dir=dist, log=OUTPUT / f"host-{time.strftime('%Y%m%d-%H%M%S')}.log",
                       provisioning=provision(root / "provisioning", dist, flow_logs), environment=SECRET_ENV)
    try:
        host.start()
        dashboard = host.get(f"/api/dashboards/uid/{DASHBOARD_UID}")["dashboard"]
        requests = dashboard_requests(dashboard, {"target_ip": summary.scanned_target})
        yield HostWorld(host, summary, load_records(flow_logs.source), flow_logs, dist, dashboard, requests)
    finally:
        host.stop()
