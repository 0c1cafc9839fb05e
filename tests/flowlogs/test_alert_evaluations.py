"""An alert rule over a week answers its next evaluation by reading only the objects written since (issue 26).

The shipped alert query (``content/``), sent as Grafana's alerting sends it (``FromAlert``), over
seven days of the generated week (a copy: objects are added to it). The first evaluation downloads
every object of the week; then ten minutes of new objects are written and the rule is evaluated
again one interval later: it must download exactly those objects (the rest comes from the ingest
cache) although it lists the whole week again. Alert budgets refuse with a message that names
them, and an alert query is never served from the result cache.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from cloudsql_cos_ts.flowlogs.generator import GenerationSummary, generate
from cloudsql_cos_ts.proto import backend_pb2 as pb
from tests.dashboard.shipped import load_models
from tests.flowlogs.conftest import WEEK_END
from tests.plugin_host import PluginProcess, data_query, datasource_context, decode_frames, frame_meta

ALERT = {"FromAlert": "true"}
NEW_OBJECTS_MINUTES = 10


@dataclass
class Week:
    plugin: PluginProcess
    folder: Path

    def evaluate(self, end: int, headers: dict[str, str] | None = None, **settings: Any) -> pb.DataResponse:
        query = data_query("A", alert_model(), from_ms=end - 7 * 86_400_000, to_ms=end)
        context = datasource_context({"source": str(self.folder), **settings}, uid=f"alert-week-{len(settings)}")
        return self.plugin.query(query, context=context, headers=ALERT if headers is None else headers, timeout=300)[
            "A"
        ]


def alert_model() -> dict[str, Any]:
    """The shipped alert rule's query model, without its refId."""
    return {key: value for key, value in load_models()["alert"].items() if key != "refId"}


def stats(answer: pb.DataResponse) -> dict[str, Any]:
    assert answer.status == 200, answer.error
    return {stat["displayName"]: stat["value"] for stat in frame_meta(decode_frames(answer)[0])["stats"]}


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory, week_set: tuple[Path, GenerationSummary]) -> Iterator[Week]:
    root = tmp_path_factory.mktemp("alert-week")
    shutil.copytree(week_set[0], root / "bucket", copy_function=os.link)  # links: the shared set stays as it is
    process = PluginProcess(cache_dir=root / "cache").start()
    yield Week(process, root / "bucket")
    process.stop()


def test_the_second_evaluation_reads_only_the_new_objects(week: Week) -> None:
    end = int(WEEK_END.timestamp() * 1000)
    first = stats(week.evaluate(end))
    assert first["Objects read"] == first["Objects listed"] - first["Objects pruned"] > 1000
    added = generate(
        week.folder, vnics=2, start=WEEK_END, end=WEEK_END + timedelta(minutes=NEW_OBJECTS_MINUTES)
    )
    second = stats(week.evaluate(end + NEW_OBJECTS_MINUTES * 60_000))
    assert second["Result-cache hit"] == 0 and second["Engine runs (duckdb)"] == 1
    assert second["Objects read"] == added.objects > 0
    assert second["Bytes downloaded"] == added.bytes_written
    assert second["Ingest-cache hits"] == second["Objects listed"] - second["Objects pruned"] - added.objects


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"alertLimitObjects": 100}, "budget per alert query of 100 (setting alertLimitObjects)"),
        ({"alertLimitMB": 0.01}, "budget per alert query of 0.0 MB (setting alertLimitMB)"),
        ({"queryLimitObjects": 50, "alertLimitObjects": 100}, "budget per query of 50 (setting queryLimitObjects)"),
    ],
)
def test_alert_budgets_refuse_naming_the_budget(week: Week, settings: dict[str, Any], named: str) -> None:
    end = int(WEEK_END.timestamp() * 1000)
    refused = week.evaluate(end, **settings)
    assert refused.status == 400 and refused.errorSource == "downstream"
    assert "the query would read" in refused.error and named in refused.error
    assert "narrow it: choose a smaller dashboard range, add a time filter" in refused.error
    if "queryLimitObjects" not in settings:  # the same query from a dashboard is not an alert: no alert budget
        assert week.evaluate(end, headers={}, **settings).status == 200
