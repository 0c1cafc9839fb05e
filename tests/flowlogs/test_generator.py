"""The sample-data generator: deterministic bytes, the quirks of IBM's real objects in realistic shares,
the alert guarantee."""

from __future__ import annotations

import gzip
import json
import os
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.engines.duckdb.source import build_duckdb_source
from cloudsql_cos_ts.flowlogs.generator import GenerationSummary, generate, main
from cloudsql_cos_ts.flowlogs.layout import parse_key
from cloudsql_cos_ts.flowlogs.scan import SourceScan
from cloudsql_cos_ts.flowlogs.schema import FLOW_FLAT
from cloudsql_cos_ts.settings.datasource import DatasourceSettings
from cloudsql_cos_ts.settings.locations import LocalLocation
from cloudsql_cos_ts.settings.plugin import PluginSettings
from cloudsql_cos_ts.timerange import TimeRange
from tests.enrichment.samples import Reference

START, END = datetime(2026, 1, 1, 0, tzinfo=UTC), datetime(2026, 1, 1, 1, tzinfo=UTC)


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*.gz"))}


def _documents(folder: Path) -> list[tuple[Path, str, dict[str, Any]]]:
    found = []
    for path in sorted(folder.rglob("*.gz")):
        text = gzip.decompress(path.read_bytes()).decode()
        found.append((path, text, json.loads(text)))
    return found


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_same_seed_same_bytes_other_seed_differs(tmp_path: Path) -> None:
    runs = []
    for name, seed in (("a", 1), ("b", 1), ("c", 2)):
        generate(tmp_path / name, vnics=2, start=START, end=END, seed=seed, records_per_object=10)
        runs.append(_files(tmp_path / name))
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]
    ingress = [k for k in runs[0] if "record-type=ingress" in k]
    assert len(runs[0]) == 2 * len(ingress)  # an ingress and an egress object per window
    assert len(ingress) >= 2 * 12  # every vNIC's windows cover the hour (a few cut short by a flush)


def test_keys_like_ibm_writes_them(day_set: tuple[Path, GenerationSummary]) -> None:
    folder, summary = day_set
    keys = [parse_key(str(path.relative_to(folder))) for path, _, _ in _documents(folder)]
    assert all(key is not None for key in keys)
    parsed = [key for key in keys if key is not None]
    assert {k.vnic.record_type for k in parsed} == {"ingress", "egress"}
    assert all(k.vnic.subnet_id.startswith("crn:v1:bluemix:public:is:us-south-") and "::subnet:" in k.vnic.subnet_id
               for k in parsed)
    assert all("::instance:" in k.vnic.instance_id and "::vpc:" in k.vnic.vpc_id for k in parsed)
    raw = str(next(folder.rglob("*.gz")).relative_to(folder))
    assert "subnet-id=crn%3Av1%3Abluemix%3Apublic%3Ais%3Aus-south-" in raw and "%2F" in raw
    streams = {(k.vnic.vnic_id, k.vnic.record_type): k.stream_id for k in parsed}
    assert len(set(streams.values())) == len(streams) == 2 * summary.vnics  # one stream each, days old
    assert all(datetime.strptime(stream, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC) < summary.start - timedelta(days=2)
               for stream in streams.values())
    per_folder = Counter((k.vnic.vnic_id, k.vnic.record_type, k.hour_start) for k in parsed)
    sequences = {(k.vnic.vnic_id, k.vnic.record_type, k.hour_start, k.sequence) for k in parsed}
    assert sequences == {(*folder_key, n) for folder_key, count in per_folder.items() for n in range(count)}


def test_windows_and_bodies_like_the_real_objects(day_set: tuple[Path, GenerationSummary]) -> None:
    folder, summary = day_set
    documents = _documents(folder)
    assert len(documents) == summary.objects
    lengths = Counter((_moment(d["capture_end_time"]) - _moment(d["capture_start_time"])).seconds
                      for _, _, d in documents)
    assert lengths.most_common(1)[0][0] == 300 and len(lengths) > 1  # flushes cut some windows short
    assert any(_moment(d["capture_start_time"]).second != 0 for _, _, d in documents)  # not on the clock
    straddling = [d for _, _, d in documents if d["capture_start_time"][11:13] != d["capture_end_time"][11:13]]
    assert straddling
    for path, _, d in documents:  # filed under the hour the window ends in, written just after it
        assert f"hour={d['capture_end_time'][11:13]}/" in str(path)
        assert 0 < os.stat(path).st_mtime - _moment(d["capture_end_time"]).timestamp() < 30
    states = Counter(d["state"] for _, _, d in documents)
    assert set(states) == {"ok", "OK", "skip data"} and states["ok"] > 0.9 * len(documents)
    assert 0 < sum("\n" in text for _, text, _ in documents) < 0.05 * len(documents)  # pretty-printed
    assert 0 < sum("vsi_crn" in d for _, _, d in documents) < 0.05 * len(documents)  # unknown fields
    assert 0 < summary.empty_objects < 0.05 * len(documents)
    records = [(d, r) for _, _, d in documents for r in d["flow_logs"]]
    assert sum(len(d["flow_logs"]) for _, _, d in documents) == summary.records
    empty_times = [r for _, r in records if r["start_time"] == ""]
    assert 0 < len(empty_times) < 0.01 * len(records)
    assert all(r["end_time"] == "" and r["connection_start_time"] for r in empty_times)
    miscounted = [d for _, _, d in documents if d["number_of_flow_logs"] != len(d["flow_logs"])]
    assert 0 < len(miscounted) < 0.1 * len(documents)
    assert any(r["start_time"] and r["start_time"] < d["capture_start_time"] for d, r in records)  # late reports
    ingress = {r["direction"] for path, _, d in documents if "record-type=ingress" in str(path) for r in d["flow_logs"]}
    assert ingress == {"I"}


def test_traffic_mix(day_set: tuple[Path, GenerationSummary]) -> None:
    folder, _ = day_set
    records = [r for _, _, d in _documents(folder) for r in d["flow_logs"]]
    assert {r["action"] for r in records} == {"accepted", "rejected"}
    inbound_public = {r["initiator_ip"].rsplit(".", 1)[0] for r in records if r["direction"] == "I"}
    assert inbound_public >= {"198.51.100", "203.0.113"}
    reference = Reference()  # the public sources are where the bundled enrichment data places them
    public = {r["initiator_ip"] for r in records if r["direction"] == "I"
              and r["initiator_ip"].rsplit(".", 1)[0] not in {"198.51.100", "203.0.113"}
              and not r["initiator_ip"].startswith("10.")}
    countries = {reference.country_of(ip) for ip in public}
    assert None not in countries and len(countries) >= 5
    assert None not in {reference.asn_of(ip) for ip in public}
    rejected = {r["initiator_ip"] for r in records if r["action"] == "rejected"}
    assert {reference.country_of(ip) for ip in rejected} - {None}  # the rejected-by-country panel has rows
    dns = [r for r in records if r["target_ip"] == "161.26.0.10" and r["target_port"] == 53]
    dhcp = [r for r in records if (r["initiator_port"], r["target_port"]) == (68, 67)]
    assert dns and all(r["transport_protocol"] == 17 for r in dns + dhcp)
    assert {r["target_ip"] for r in dhcp} >= {"255.255.255.255"} and any(r["initiator_ip"] == "0.0.0.0" for r in dhcp)
    long_running = [r for r in records if r["start_time"] and _moment(r["start_time"]) - _moment(
        r["connection_start_time"]) > timedelta(days=1)]
    assert long_running and all(r["was_initiated"] is False for r in long_running)
    assert any(r["cumulative_bytes_from_initiator"] > r["bytes_from_initiator"] for r in long_running)


def test_alert_fires_for_the_scanned_target_only(day_set: tuple[Path, GenerationSummary], tmp_path: Path) -> None:
    folder, summary = day_set
    settings = DatasourceSettings(uid="g", name="g", last_updated_ms=0, source=LocalLocation(folder))
    source = build_duckdb_source(settings, PluginSettings(cache_dir=tmp_path))
    assert source is not None
    time_range = TimeRange(int(summary.start.timestamp() * 1000), int(summary.end.timestamp() * 1000))
    view = source.relations(SourceScan(time_range), frozenset({FLOW_FLAT}), CancelToken()).views[FLOW_FLAT]
    buckets = duckdb.sql(
        f"SELECT time_bucket(INTERVAL 5 MINUTE, TRY_CAST(start_time AS TIMESTAMP)) AS t, target_ip, count(*) AS n "
        f"FROM ({view}) WHERE action = 'rejected' AND t >= TIMESTAMP '{summary.start:%Y-%m-%d %H:%M:%S}' "
        f"AND t < TIMESTAMP '{summary.end:%Y-%m-%d %H:%M:%S}' GROUP BY ALL"
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


def test_damaged_objects_only_when_asked(tmp_path: Path) -> None:
    clean = generate(tmp_path / "clean", vnics=1, start=START, end=END, records_per_object=2)
    damaged = generate(tmp_path / "damaged", vnics=1, start=START, end=END, records_per_object=2, damaged=2)
    assert clean.damaged_objects == 0 and damaged.damaged_objects == 2
    unreadable = 0
    for path in (tmp_path / "damaged").rglob("*.gz"):
        try:
            json.loads(gzip.decompress(path.read_bytes()))
        except (OSError, EOFError, ValueError):
            unreadable += 1
    assert unreadable == 2


def test_command_line(tmp_path: Path, capsys: object) -> None:
    assert main([str(tmp_path / "out"), "--vnics", "1", "--start", "2026-01-01T00:00:00Z",
                 "--end", "2026-01-01T00:30:00Z", "--no-progress"]) == 0
    written = list((tmp_path / "out").rglob("*.gz"))
    assert len(written) % 2 == 0 and len(written) >= 2 * 6
