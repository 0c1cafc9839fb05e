"""W1's workload: the shipped dashboard's six panels (P3 as its chained pair) over a fixed 7-day set.

The panel SQL is read from the shared dashboard document, exactly as the acceptance tests read it, and
turned into engine SQL by the plugin's own ``prepare_sql`` so the raw DuckDB baseline runs the very
statements our engine runs.
"""

from __future__ import annotations

import json
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "plugin")]

from cloudsql_cos_ts.engines.registry import create_engine  # noqa: E402
from cloudsql_cos_ts.flowlogs.generator import generate  # noqa: E402
from cloudsql_cos_ts.instances import DatasourceInstance  # noqa: E402
from cloudsql_cos_ts.query.model import parse_query  # noqa: E402
from cloudsql_cos_ts.query.prepare import prepare_sql  # noqa: E402
from cloudsql_cos_ts.settings.datasource import parse_datasource_settings  # noqa: E402
from cloudsql_cos_ts.settings.plugin import PluginSettings  # noqa: E402
from cloudsql_cos_ts.timerange import TimeRange  # noqa: E402
from tests.dashboard.shipped import load_queries  # noqa: E402

DATA_END = datetime(2026, 11, 20, tzinfo=UTC)
DATA_START = DATA_END - timedelta(days=7)
RANGE = TimeRange(int(DATA_START.timestamp() * 1000), int(DATA_END.timestamp() * 1000))
INTERVAL_MS = 600_000
MAX_DATA_POINTS = 1000


@dataclass(frozen=True)
class PanelQuery:
    ref: str
    model: dict[str, Any]  # the DataQuery JSON Grafana would send (rawSql with ${target_ip} substituted)

    @property
    def stores_result(self) -> bool:
        """Whether the plugin also writes the result where ``$__dest`` points: a baseline must do the same."""
        return "INTO $__dest" in self.model["rawSql"]


@dataclass(frozen=True)
class Panel:
    name: str
    queries: tuple[PanelQuery, ...]


def ensure_data(folder: Path) -> str:
    """Generate the ~1.08M-record set into ``folder`` unless it is there; returns the scanned target."""
    if not (folder / "ibm_vpc_flowlogs_v1").is_dir():
        summary = generate(folder, vnics=10, start=DATA_START, end=DATA_END, records_per_object=50)
        print(
            f"generated {summary.objects} objects, {summary.records} records in {summary.seconds:.1f} s",
            file=sys.stderr,
        )
        (folder / ".w1-target").write_text(summary.scanned_target)
    return (folder / ".w1-target").read_text().strip()


def dashboard(target_ip: str) -> list[Panel]:
    """The six panels with the query settings the dashboard document gives them."""
    doc = {name: sql.replace("${target_ip}", target_ip) for name, sql in load_queries().items()}

    def single(name: str, **settings: Any) -> Panel:
        return Panel(name, (PanelQuery(name, {"rawSql": doc[name], **settings}),))

    p3 = Panel(
        "P3",
        (
            PanelQuery("A", {"rawSql": doc["P3A"], "getResult": False}),
            PanelQuery(
                "B", {"rawSql": doc["P3B"], "format": "time_series", "timeColumn": "tt", "metricsColumn": "action"}
            ),
        ),
    )
    return [
        single("P1"),
        single("P2", format="table", timeColumn="start_time"),
        p3,
        single("P4"),
        single("P5"),
        single("P6"),
    ]


def datasource_json(data: Path | str, destination: Path) -> dict[str, Any]:
    """Settings of the benchmarked datasource; the result cache is off so W1 measures the engine."""
    return {"source": str(data), "destination": str(destination), "cacheTtlSeconds": 0}


def translated_sql(panels: list[Panel], data: Path, destination: Path) -> dict[tuple[str, str], str]:
    """Engine SQL per (panel, ref), from the plugin's own macro expansion and translation."""
    settings = parse_datasource_settings(
        uid="w1",
        name="w1",
        last_updated_ms=1,
        secure={},
        json_data=json.dumps(datasource_json(data, destination)).encode(),
    )
    with tempfile.TemporaryDirectory(prefix="w1-translate-") as cache_dir:
        instance = DatasourceInstance(settings, create_engine(settings, PluginSettings(cache_dir=Path(cache_dir))))
        try:
            return _translate_all(panels, instance)
        finally:
            instance.close()


def _translate_all(panels: list[Panel], instance: DatasourceInstance) -> dict[tuple[str, str], str]:
    result = {}
    for panel in panels:
        refs = frozenset(q.ref for q in panel.queries)
        for query in panel.queries:
            model = parse_query(
                json.dumps(query.model).encode(),
                ref_id=query.ref,
                time_range=RANGE,
                interval_ms=INTERVAL_MS,
                max_data_points=MAX_DATA_POINTS,
            )
            result[panel.name, query.ref] = prepare_sql(instance, model, refs)[1].sql
    return result
