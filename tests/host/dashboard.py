"""The bundled dashboard as the host serves it, and its targets as Grafana's frontend sends them.

Panel targets are taken exactly as stored; template variables are interpolated by the plugin's own
frontend code (``DataSource.applyTemplateVariables`` in frontend/src/datasource.ts, run under node by
frontend/testing/interpolate.mjs), then Grafana's frontend adds the panel's interval and point
budget before ``POST /api/ds/query``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from typing import Any

from tests.host.host import REPO

INTERPOLATE = REPO / "frontend" / "testing" / "interpolate.mjs"
INTERPOLATE_TIMEOUT_S = 300
# What a panel's query runner adds to every target (interval and max data points of the panel).
PANEL_REQUEST_OPTIONS = {"intervalMs": 60_000, "maxDataPoints": 1000}


def interpolate(targets: list[dict[str, Any]], variables: dict[str, str]) -> list[dict[str, Any]]:
    """Targets passed through the datasource's applyTemplateVariables (one node run for all of them)."""
    node = shutil.which("node")
    assert node is not None, "node is not on PATH; the frontend's interpolation runs under node"
    run = subprocess.run([node, str(INTERPOLATE)], input=json.dumps({"targets": targets, "variables": variables}),
                         capture_output=True, text=True, cwd=REPO, timeout=INTERPOLATE_TIMEOUT_S, check=False)
    assert run.returncode == 0, f"{INTERPOLATE.name} failed ({run.returncode}): {run.stderr[-2000:]}"
    interpolated: list[dict[str, Any]] = json.loads(run.stdout)["targets"]
    assert len(interpolated) == len(targets)
    return interpolated


@dataclass(frozen=True)
class DashboardRequests:
    """What the dashboard sends: each panel's targets (one /api/ds/query call per panel) and each
    query variable's query, all interpolated."""

    panels: dict[int, list[dict[str, Any]]]  # by panel id
    variables: dict[str, dict[str, Any]]  # by variable name


def dashboard_requests(dashboard: dict[str, Any], values: dict[str, str]) -> DashboardRequests:
    """Every query of the dashboard through applyTemplateVariables, in one node run."""
    panels = dashboard["panels"]
    variables = [v for v in dashboard["templating"]["list"] if v["type"] == "query"]
    stored = [t for p in panels for t in p["targets"]] + [{**v["query"], "datasource": v["datasource"]}
                                                          for v in variables]
    done = iter({**PANEL_REQUEST_OPTIONS, **t} for t in interpolate(stored, values))
    return DashboardRequests(panels={p["id"]: [next(done) for _ in p["targets"]] for p in panels},
                             variables={v["name"]: next(done) for v in variables})
