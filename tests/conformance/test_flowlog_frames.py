"""The dashboard's P3 panel and alert query through Grafana's own decoder and dataplane readers.

A small set of VPC flow logs is generated in a temp dir; the Go conformance harness (``-flowlogs
FILE``) launches the plugin as Grafana does and sends, over that folder and time range:

* P3 queries A (Get Queried Result off) and B (time series, Time Column ``tt``, Metrics column
  ``action``) chained in one QueryData request: B's frames must decode with
  ``data.UnmarshalArrowFrames`` as ``timeseries-multi`` frames labelled ``action=accepted|rejected``
  (non-nullable time, float64 values) that the dataplane time series reader reads as 2 series;
* the alert query with alerting's headers (``FromAlert``, ``X-Cache-Skip``): one series per
  ``target_ip`` label, unique labels, read by the dataplane reader without error;
* a *Logs* query over ``FLOW_FLAT``: one ``log-lines`` frame as Grafana's logs contract names it,
  one line per record of the range, levels following the actions, unique ids.

The SQL is the shared dashboard document's (``load_queries()``), unchanged; only ``${target_ip}`` is
substituted, as Grafana does in the browser. Each harness check is one test.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from test_conformance import REPO, HarnessRun, run_harness

from cloudsql_cos_ts.flowlogs.generator import generate
from tests.dashboard.expected import epoch_ms, in_range, load_records
from tests.dashboard.shipped import load_queries

OUTPUT = REPO / "tests" / ".output" / "flowlog_frames.jsonl"
START = datetime(2024, 5, 6, 0, 0, tzinfo=UTC)
END = datetime(2024, 5, 6, 6, 0, tzinfo=UTC)

EXPECTED_CHECKS = ("flowlog_p3_timeseries", "flowlog_alert_timeseries", "flowlog_logs")


def harness_input(source: Path, destination: Path, target: str) -> dict[str, Any]:
    """The -flowlogs file: folder, dashboard range and the shipped SQL with ${target_ip} set."""
    queries = load_queries()
    chosen = {name: queries[name].replace("${target_ip}", target) for name in ("P3A", "P3B", "alert")}
    records = [r for r in load_records(source) if in_range(r, "start_time", START, END)]
    rejected = [r for r in records if r.fields["action"] == "rejected"]
    return {
        "source": str(source),
        "destination": str(destination),
        "from": epoch_ms(START),
        "to": epoch_ms(END),
        "queries": chosen,
        # An independent answer: the alert query has one series per target with rejected traffic.
        "alertTargets": sorted({r.fields["target_ip"] for r in rejected}),
        "logLines": len(records),  # the Logs query: one line per record with a time in the range
    }


@pytest.fixture(scope="module")
def flowlog_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HarnessRun]:
    root = tmp_path_factory.mktemp("flowlog-frames")
    source, destination = root / "flowlogs", root / "results"
    summary = generate(source, vnics=3, start=START, end=END, records_per_object=20, seed=7)
    spec = root / "flowlogs.json"
    spec.write_text(json.dumps(harness_input(source, destination, summary.scanned_target), indent=2))
    yield run_harness("-flowlogs", str(spec), output=OUTPUT, label=" (-flowlogs)")


def test_harness_input_is_the_shipped_sql(tmp_path: Path) -> None:
    spec = harness_input(tmp_path, tmp_path / "dest", "10.240.0.9")
    queries = load_queries()
    assert spec["queries"]["P3A"] == queries["P3A"].replace("${target_ip}", "10.240.0.9")
    assert spec["queries"]["P3B"] == queries["P3B"] and spec["queries"]["alert"] == queries["alert"]
    assert "$__source_prev(A)" in spec["queries"]["P3B"]
    assert not any("${" in sql for sql in spec["queries"].values())


@pytest.mark.parametrize("check", EXPECTED_CHECKS)
def test_flowlog_frames(flowlog_run: HarnessRun, check: str, record_property: Any) -> None:
    flowlog_run.assert_check_passed(check, record_property)


def test_flowlog_run_reports_exactly_the_expected_checks(flowlog_run: HarnessRun) -> None:
    flowlog_run.assert_reported_exactly(EXPECTED_CHECKS)
