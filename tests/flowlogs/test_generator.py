"""The sample-data generator: deterministic bytes, IBM's document shape, the alert guarantee."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.engines.duckdb.source import build_duckdb_source
from cloudsql_cos_ts.flowlogs.generator import GenerationSummary, generate, main
from cloudsql_cos_ts.flowlogs.scan import SourceScan
from cloudsql_cos_ts.flowlogs.schema import FLOW_FLAT
from cloudsql_cos_ts.settings.datasource import DatasourceSettings
from cloudsql_cos_ts.settings.locations import LocalLocation
from cloudsql_cos_ts.settings.plugin import PluginSettings
from cloudsql_cos_ts.timerange import TimeRange

START, END = datetime(2026, 1, 1, 0, tzinfo=UTC), datetime(2026, 1, 1, 1, tzinfo=UTC)


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*.gz"))}


def test_same_seed_same_bytes_other_seed_differs(tmp_path: Path) -> None:
    runs = []
    for name, seed in (("a", 1), ("b", 1), ("c", 2)):
        generate(tmp_path / name, vnics=2, start=START, end=END, seed=seed, records_per_object=10)
        runs.append(_files(tmp_path / name))
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]
    assert len(runs[0]) == 2 * 12


def test_document_shape(day_set: tuple[Path, GenerationSummary]) -> None:
    folder, summary = day_set
    documents = [json.loads(gzip.decompress(p.read_bytes())) for p in sorted(folder.rglob("*.gz"))]
    assert len(documents) == summary.objects == 4 * 72
    assert sum(d["number_of_flow_logs"] for d in documents) == summary.records
    assert all(d["number_of_flow_logs"] == len(d["flow_logs"]) for d in documents)
    assert {d["state"] for d in documents} == {"ok"}
    assert all(d["vpc_crn"].startswith("crn:v1:bluemix:public:is:us-south:a/") for d in documents)
    records = [r for d in documents for r in d["flow_logs"]]
    assert {r["direction"] for r in records} == {"I", "O"}
    assert {r["action"] for r in records} == {"accepted", "rejected"}
    inbound_public = {r["initiator_ip"].rsplit(".", 1)[0] for r in records if r["direction"] == "I"}
    assert inbound_public >= {"198.51.100", "203.0.113"}
    assert all(r["target_ip"].startswith("10.240.") for r in records if r["direction"] == "I")
    assert any(r["start_time"] < d["capture_start_time"] for d in documents for r in d["flow_logs"])


def test_alert_fires_for_the_scanned_target_only(day_set: tuple[Path, GenerationSummary], tmp_path: Path) -> None:
    folder, summary = day_set
    settings = DatasourceSettings(uid="g", name="g", last_updated_ms=0, source=LocalLocation(folder))
    source = build_duckdb_source(settings, PluginSettings(cache_dir=tmp_path))
    assert source is not None
    time_range = TimeRange(int(summary.start.timestamp() * 1000), int(summary.end.timestamp() * 1000))
    view = source.relations(SourceScan(time_range), frozenset({FLOW_FLAT}), CancelToken()).views[FLOW_FLAT]
    buckets = duckdb.sql(
        f"SELECT time_bucket(INTERVAL 5 MINUTE, CAST(start_time AS TIMESTAMP)) AS t, target_ip, count(*) AS n "
        f"FROM ({view}) WHERE action = 'rejected' GROUP BY ALL"
    ).fetchall()
    scanned = [n for _, ip, n in buckets if ip == summary.scanned_target]
    others = [n for _, ip, n in buckets if ip != summary.scanned_target]
    assert len(scanned) == 72 and min(scanned) >= 40
    assert others and max(others) <= 10
    top = duckdb.sql(
        f"SELECT initiator_ip, count(DISTINCT target_port) FROM ({view}) WHERE action = 'rejected' "
        "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
    ).fetchall()
    assert top[0][0] == summary.scanner_ip and top[0][1] > 30


def test_empty_objects_exist(tmp_path: Path) -> None:
    summary = generate(tmp_path, vnics=3, start=START, end=datetime(2026, 1, 2, tzinfo=UTC), records_per_object=1)
    assert summary.empty_objects > 0


def test_command_line(tmp_path: Path, capsys: object) -> None:
    assert main([str(tmp_path / "out"), "--vnics", "1", "--start", "2026-01-01T00:00:00Z",
                 "--end", "2026-01-01T00:30:00Z", "--no-progress"]) == 0
    assert len(list((tmp_path / "out").rglob("*.gz"))) == 6
