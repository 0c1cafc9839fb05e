"""The acceptance queries: what the plugin ships in ``content/``, read with the product's own loader.

The bundled dashboard (its panels' targets and its two variables) and the provisioned alert rule
are the queries users run first, so the tests run them exactly as stored — SQL and shaping options
alike — instead of a copy that could drift from what ships. Names follow the dashboard's layout:
the variables by name, panels ``P1`` … ``P9`` by id (panel 3's chained pair as ``P3A``/``P3B``) and
the alert rule's query A as ``alert``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cloudsql_cos_ts.cli.content import load_alert_query, load_dashboard

REPO = Path(__file__).resolve().parents[2]
DASHBOARD = REPO / "content" / "dashboards" / "vpc-flow-logs.json"
ALERT_RULE = REPO / "content" / "provisioning" / "alerting" / "rejected-connections.yaml"
CHAINED_PANEL = 3


def load_models() -> dict[str, dict[str, Any]]:
    """Query models by name, as stored (``refId`` dropped: each test picks its own)."""
    dashboard = load_dashboard(DASHBOARD)
    models: dict[str, dict[str, Any]] = {v.name: dict(v.query) for v in dashboard.variables}
    for panel in dashboard.panels:
        targets = [{k: v for k, v in t.items() if k != "refId"} for t in panel.targets]
        if panel.id == CHAINED_PANEL:
            models["P3A"], models["P3B"] = targets
        else:
            (models[f"P{panel.id}"],) = targets
    models["alert"] = load_alert_query(ALERT_RULE)
    return models


def load_queries() -> dict[str, str]:
    """The SQL of each shipped query by name (see :func:`load_models`)."""
    return {name: model["rawSql"] for name, model in load_models().items()}
