"""Read the bundled dashboard and alert rule (``content/``) into the queries Grafana would send.

The main job runs exactly what ships, so it reads the shipped files instead of keeping its own
copies of the SQL. The alert rule is a Grafana provisioning YAML file; the project has no YAML
library, and the file's layout is ours, so the few fields needed are read from their known lines.
"""

from __future__ import annotations

import json
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Panel:
    id: int
    title: str
    type: str  # Grafana panel type: table, gauge, timeseries, bargauge
    targets: list[dict[str, Any]]  # query models, as the dashboard stores them


@dataclass(frozen=True)
class Variable:
    name: str
    query: dict[str, Any]


@dataclass(frozen=True)
class Dashboard:
    title: str
    panels: list[Panel]
    variables: list[Variable]
    time_from: str
    time_to: str


_MODEL_KEYS = ("rawSql", "format", "timeColumn", "metricsColumn", "getResult", "hide")


def query_model(target: dict[str, Any]) -> dict[str, Any]:
    """The keys the backend reads (the dashboard also stores the datasource reference)."""
    return {key: target[key] for key in _MODEL_KEYS if key in target}


def load_dashboard(path: Path) -> Dashboard:
    data = json.loads(path.read_text())
    panels = [
        Panel(p["id"], p["title"], p["type"], [{"refId": t["refId"], **query_model(t)} for t in p["targets"]])
        for p in data["panels"]
    ]
    variables = [Variable(v["name"], query_model(v["query"])) for v in data["templating"]["list"]]
    return Dashboard(data["title"], panels, variables, data["time"]["from"], data["time"]["to"])


def load_alert_query(path: Path) -> dict[str, Any]:
    """Query A of the alert rule: ``rawSql`` (a ``|`` block) and its shaping keys."""
    text = path.read_text()
    block = re.search(r"^(\s*)rawSql: \|\n((?:\1\s+.*\n)+)", text, flags=re.M)
    if block is None:
        raise ValueError(f"{path}: no rawSql block")
    model: dict[str, Any] = {"rawSql": textwrap.dedent(block.group(2)).strip()}
    for key in ("format", "timeColumn", "metricsColumn"):
        found = re.search(rf"^\s+{key}: (\S+)$", text, flags=re.M)
        if found:
            model[key] = found.group(1)
    return model


def substitute(sql: str, values: dict[str, str]) -> str:
    """Grafana's variable interpolation for the two forms the dashboard uses: ``${name}`` and ``$name``."""
    for name, value in sorted(values.items(), key=lambda item: -len(item[0])):
        sql = sql.replace("${" + name + "}", value)
        sql = re.sub(rf"\${re.escape(name)}\b", value.replace("\\", "\\\\"), sql)
    return sql
