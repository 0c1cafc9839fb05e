"""The shipped dashboard and alert rule: the panels, variables, shaping and conditions users get.

What their queries return is checked by running them as stored (tests/dashboard); this module
checks the structure around the queries, which no query result shows.
"""

from __future__ import annotations

import json

from cloudsql_cos_ts.cli.content import load_alert_query, load_dashboard, substitute
from tests.dashboard.shipped import ALERT_RULE as ALERT
from tests.dashboard.shipped import DASHBOARD, REPO


def test_dashboard_shaping_and_datasource() -> None:
    dashboard = load_dashboard(DASHBOARD)
    panels = {panel.id: panel for panel in dashboard.panels}
    assert sorted(panels) == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    assert [p.type for p in dashboard.panels] == [
        "table", "gauge", "timeseries", "bargauge", "bargauge", "gauge", "bargauge", "bargauge", "bargauge"
    ]
    assert panels[2].targets[0]["timeColumn"] == "start_time" and panels[2].targets[0]["format"] == "table"
    a, b = panels[3].targets
    assert (a["refId"], a["getResult"]) == ("A", False)
    assert (b["refId"], b["format"], b["timeColumn"], b["metricsColumn"]) == ("B", "time_series", "tt", "action")
    assert [v.name for v in dashboard.variables] == ["target_ip", "target_ip_private"]
    raw = json.loads(DASHBOARD.read_text())
    references = [p["datasource"] for p in raw["panels"]] + [
        t["datasource"] for p in raw["panels"] for t in p["targets"]
    ]
    assert all(ref == {"type": "ibm-cloudsqlcos-datasource", "uid": "vpc-flow-logs"} for ref in references)


def test_plugin_json_includes_the_dashboard() -> None:
    plugin = json.loads((REPO / "plugin.json").read_text())
    assert {"type": "dashboard", "name": "VPC flow logs", "path": "dashboards/vpc-flow-logs.json"} in plugin["includes"]


def test_alert_rule_query_and_conditions() -> None:
    model = load_alert_query(ALERT)
    assert {k: v for k, v in model.items() if k != "rawSql"} == {
        "format": "time_series",
        "timeColumn": "time",
        "metricsColumn": "target_ip",
    }
    assert model["rawSql"].startswith("SELECT $__timeGroup(start_time, '5m') AS time, target_ip, count(*)")
    text = ALERT.read_text()
    assert "type: reduce" in text and "reducer: last" in text
    assert "type: threshold" in text and "type: gt" in text and "params: [20]" in text
    assert "datasourceUid: vpc-flow-logs" in text


def test_variable_substitution_like_grafana() -> None:
    values = {"target_ip": "10.0.0.1", "target_ip_private": "x"}
    assert substitute('a = "${target_ip}" OR b = $target_ip OR c = $target_ip_private', values) == (
        'a = "10.0.0.1" OR b = 10.0.0.1 OR c = x'
    )
