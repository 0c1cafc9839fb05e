"""Every query of the shipped dashboard and alert rule, as stored, through QueryData over flow logs.

Two buckets: the sample generator's, and the hand-made objects shaped like IBM's real ones
(``tests/real_objects``: empty and bad record times, a count mismatch, an hour-straddling window,
pretty-printed and unzipped bodies, ...). Each result is compared with an independent computation
over the raw records (``expected.py``), where an empty or unparseable time is NULL as at IBM SQL
Query. Grafana substitutes ``${target_ip}`` in the browser before the query reaches the plugin;
the test does the same with the scanned target.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from cloudsql_cos_ts.flowlogs.generator import generate
from cloudsql_cos_ts.flowlogs.schema import FLOW_FLAT_COLUMNS
from cloudsql_cos_ts.proto import backend_pb2 as pb
from tests.dashboard.expected import (
    Record,
    bucket_counts,
    counts_by,
    epoch_ms,
    in_range,
    load_records,
)
from tests.dashboard.shipped import load_models
from tests.enrichment.samples import Reference
from tests.plugin_host import PluginProcess, data_query, datasource_context
from tests.real_objects import cases as real_objects

MODELS = load_models()
GENERATED = (datetime(2024, 5, 6, 0, 0, tzinfo=UTC), datetime(2024, 5, 6, 6, 0, tzinfo=UTC))
REAL_OBJECTS = (datetime(2020, 7, 1, 20, 0, tzinfo=UTC), datetime(2020, 7, 1, 22, 0, tzinfo=UTC))


@dataclass
class World:
    name: str
    plugin: PluginProcess
    records: list[Record]
    context: pb.PluginContext
    destination: Path
    start: datetime
    end: datetime
    target: str  # the scanned target, put in for ${target_ip}
    scanner: str
    objects: int

    def run(self, *queries: pb.DataQuery) -> dict[str, pb.DataResponse]:
        request = pb.QueryDataRequest(pluginContext=self.context, queries=queries)
        return dict(self.plugin.data.QueryData(request, timeout=120).responses)

    def table(self, ref: str, model: dict[str, Any]) -> pa.Table:
        answer = self.run(self.query(ref, model))[ref]
        assert answer.status == 200, answer.error
        (frame,) = answer.frames
        return pa.ipc.open_file(pa.py_buffer(frame)).read_all()

    def query(self, ref: str, model: dict[str, Any]) -> pb.DataQuery:
        sql = model["rawSql"].replace("${target_ip}", self.target)
        return data_query(ref, {**model, "rawSql": sql}, from_ms=epoch_ms(self.start), to_ms=epoch_ms(self.end))

    def in_range(self, record: Record, column: str) -> bool:
        return in_range(record, column, self.start, self.end)


def _write_bucket(name: str, data: Path) -> tuple[tuple[datetime, datetime], str, str, int]:
    """The bucket's range, scanned target, scanner and object count."""
    if name == "generated":
        summary = generate(data, vnics=3, start=GENERATED[0], end=GENERATED[1], records_per_object=20, seed=7)
        return GENERATED, summary.scanned_target, summary.scanner_ip, summary.objects
    written = real_objects.write(data)
    return REAL_OBJECTS, real_objects.TARGET_IP, real_objects.SCANNER_IP, len(written)


@pytest.fixture(scope="module", params=["generated", "real_objects"])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("dashboard")
    data, destination = root / "flowlogs", root / "results"
    (start, end), target, scanner, objects = _write_bucket(request.param, data)
    context = datasource_context({"source": str(data), "destination": str(destination)}, uid="flowlogs")
    plugin = PluginProcess(cache_dir=root / "cache").start()
    yield World(
        request.param, plugin, load_records(data), context, destination, start, end, target, scanner, objects
    )
    plugin.stop()


@pytest.fixture(scope="module")
def reference() -> Reference:
    return Reference()


def rows(table: pa.Table) -> list[tuple[Any, ...]]:
    return [tuple(row.values()) for row in table.to_pylist()]


def test_the_shipped_content_has_every_query() -> None:
    assert set(MODELS) == {
        "target_ip", "target_ip_private", "P1", "P2", "P3A", "P3B", "P4", "P5", "P6", "P7", "P8", "P9", "alert"
    }


def test_variable_target_ip(world: World) -> None:
    table = world.table("V", MODELS["target_ip"])
    inbound = [r for r in world.records if r.fields["direction"] == "I" and world.in_range(r, "start_time")]
    assert table.column_names == ["target_ip"]
    assert table.column("target_ip").to_pylist() == sorted({r.fields["target_ip"] for r in inbound})


def test_variable_target_ip_private(world: World) -> None:
    table = world.table("V", MODELS["target_ip_private"])
    inbound = [r for r in world.records if r.fields["direction"] == "I"]
    expected = sorted(
        {(f"{r.fields['target_ip']} ({r.header['network_interface_id']})", r.fields["target_ip"]) for r in inbound}
    )
    assert table.column_names == ["label", "value"] and rows(table) == expected


def test_p1_schema(world: World) -> None:
    table = world.table("P1", MODELS["P1"])
    assert table.column_names[:2] == ["name", "type"]
    assert table.column("name").to_pylist() == [name for name, _ in FLOW_FLAT_COLUMNS]


def test_p2_reject_accept_ratio(world: World) -> None:
    table = world.table("P2", MODELS["P2"])
    target = [
        r
        for r in world.records
        if r.fields["target_ip"] == world.target and world.in_range(r, "start_time")
    ]
    actions = counts_by(target, "action")
    assert rows(table) == [(actions["rejected"], actions["accepted"])]
    assert actions["rejected"] > 0


def test_p3_chained_time_series(world: World) -> None:
    answers = world.run(
        world.query("A", MODELS["P3A"]),
        world.query("B", MODELS["P3B"]),
    )
    assert answers["A"].status == 200 and not answers["A"].frames, answers["A"].error
    assert answers["B"].status == 200, answers["B"].error
    target = [
        r
        for r in world.records
        if r.fields["target_ip"] == world.target and world.in_range(r, "start_time")
    ]
    expected = bucket_counts(target, "action", "start_time", 3_600_000, empty=True)
    got = {}
    for frame in answers["B"].frames:
        table = pa.ipc.open_file(pa.py_buffer(frame)).read_all()
        labels = json.loads(table.schema.field(1).metadata[b"labels"])
        times = [int(t.timestamp() * 1000) for t in table.column(0).to_pylist()]
        got[labels["action"]] = dict(zip(times, table.column(1).to_pylist(), strict=True))
    assert got == {action: {t: float(n) for t, n in series.items()} for action, series in expected.items()}
    assert set(got) == {"accepted", "rejected"}
    written = list(world.destination.rglob("*.parquet"))
    assert written, "P3 query A wrote nothing to the destination"


def _top(counter: dict[str, int], result: list[tuple[Any, ...]], limit: int) -> None:
    assert len(result) == min(limit, len(counter))
    assert [n for _, n, *_ in result] == sorted((n for _, n, *_ in result), reverse=True)
    for key, n, *_ in result:
        assert counter[key] == n
    if not result:  # nothing to rank (e.g. no public address in the bucket for a country panel)
        return
    cutoff = result[-1][1]
    assert all(n <= cutoff for k, n in counter.items() if k not in {r[0] for r in result})


def test_p4_top_rejected_sources(world: World) -> None:
    table = world.table("P4", MODELS["P4"])
    rejected = [
        r
        for r in world.records
        if r.fields["target_ip"] == world.target
        and r.fields["action"] == "rejected"
        and world.in_range(r, "start_time")
    ]
    _top(counts_by(rejected, "initiator_ip"), rows(table), 25)


def test_p5_top_rejected_targets(world: World) -> None:
    table = world.table("P5", MODELS["P5"])
    rejected = [
        r
        for r in world.records
        if r.fields["action"] == "rejected"
        and r.fields["direction"] == "I"
        and world.in_range(r, "capture_start_time")
    ]
    counts = counts_by(rejected, "target_ip")
    _top(counts, rows(table), 10)
    assert rows(table)[0][0] == world.target


def test_p7_rejected_traffic_by_country(world: World, reference: Reference) -> None:
    table = world.table("P7", MODELS["P7"])
    countries = [
        reference.country_of(r.fields["initiator_ip"])
        for r in world.records
        if r.fields["action"] == "rejected" and world.in_range(r, "capture_start_time")
    ]
    assert table.column_names == ["country", "rejected"]
    expected = Counter(c for c in countries if c is not None)
    assert world.name != "generated" or len(expected) >= 3  # the generator's rejected sources: several countries
    _top(expected, rows(table), 15)


def test_p8_top_source_networks(world: World, reference: Reference) -> None:
    table = world.table("P8", MODELS["P8"])
    networks = [reference.asn_of(r.fields["initiator_ip"]) for r in world.records
                if world.in_range(r, "capture_start_time")]
    expected = Counter(f"AS{asn} {reference.as_names.get(asn, '')}" for asn in networks if asn is not None)
    assert table.column_names == ["source_network", "flows"]
    assert world.name != "generated" or len(expected) >= 3
    _top(expected, rows(table), 10)


def test_p9_top_target_services(world: World, reference: Reference) -> None:
    table = world.table("P9", MODELS["P9"])
    services = Counter(
        reference.service_of(r.fields["target_port"], r.fields["transport_protocol"])
        for r in world.records
        if r.fields["direction"] == "I" and world.in_range(r, "capture_start_time")
    )
    assert table.column_names == ["service", "flows"]
    _top(services, rows(table), 10)


# The enrichment panels' questions asked through the functions, aggregating first (each distinct address
# looked up once, no LIMIT): the panels read FLOW_ENRICHED's columns instead, and must rank the same.
THROUGH_FUNCTIONS = {
    "P7": """SELECT geo_country(initiator_ip) AS country, CAST(sum(n) AS BIGINT) AS rejected
             FROM (SELECT initiator_ip, count(*) AS n FROM FLOW_FLAT
                   WHERE action = "rejected" AND $__timeFilterColumn(capture_start_time, timestamp)
                   GROUP BY initiator_ip)
             WHERE geo_country(initiator_ip) IS NOT NULL GROUP BY 1""",
    "P8": """SELECT concat('AS', CAST(asn(initiator_ip) AS STRING), ' ', coalesce(as_name(initiator_ip), '')),
                    CAST(sum(n) AS BIGINT) AS flows
             FROM (SELECT initiator_ip, count(*) AS n FROM FLOW_FLAT
                   WHERE $__timeFilterColumn(capture_start_time, timestamp) GROUP BY initiator_ip)
             WHERE asn(initiator_ip) IS NOT NULL GROUP BY 1""",
}


@pytest.mark.parametrize(("panel", "limit"), [("P7", 15), ("P8", 10)])
def test_enriched_panels_rank_as_the_functions_do(world: World, panel: str, limit: int) -> None:
    model = MODELS[panel]
    assert "FLOW_ENRICHED" in model["rawSql"]
    through_functions = world.table("F", {**model, "rawSql": THROUGH_FUNCTIONS[panel]})
    expected = {key: n for key, n in rows(through_functions)}
    assert world.name != "generated" or len(expected) >= 3
    _top(expected, rows(world.table(panel, model)), limit)


def test_p6_bad_actor(world: World) -> None:
    table = world.table("P6", MODELS["P6"])
    rejected = [
        r
        for r in world.records
        if r.fields["action"] == "rejected" and world.in_range(r, "connection_start_time")
    ]
    counts = counts_by(rejected, "initiator_ip")
    ((ip, n, ports),) = rows(table)
    assert ip == world.scanner and n == max(counts.values()) == counts[ip]
    assert ports == len({r.fields["target_port"] for r in rejected if r.fields["initiator_ip"] == ip})


def test_alert_query_fires_for_the_scanned_target_only(world: World) -> None:
    model = MODELS["alert"]
    request = pb.QueryDataRequest(
        pluginContext=world.context,
        queries=[world.query("A", model)],
        headers={"FromAlert": "true", "X-Cache-Skip": "true"},
    )
    answer = world.plugin.data.QueryData(request, timeout=120).responses["A"]
    assert answer.status == 200, answer.error
    rejected = [r for r in world.records if r.fields["action"] == "rejected" and world.in_range(r, "start_time")]
    expected = bucket_counts(rejected, "target_ip", "start_time", 300_000)
    last_values = {}
    for frame in answer.frames:
        table = pa.ipc.open_file(pa.py_buffer(frame)).read_all()
        assert not table.schema.field(0).nullable and table.schema.field(1).type == pa.float64()
        target = json.loads(table.schema.field(1).metadata[b"labels"])["target_ip"]
        times = [int(t.timestamp() * 1000) for t in table.column(0).to_pylist()]
        assert dict(zip(times, table.column(1).to_pylist(), strict=True)) == {
            t: float(n) for t, n in expected[target].items()
        }
        last_values[target] = table.column(1)[-1].as_py()
    threshold = 20
    firing = {t for t, v in last_values.items() if v > threshold}
    assert firing == ({world.target} if world.name == "generated" else set())


def test_metrics_count_source_objects(world: World) -> None:
    world.table("P5", {**MODELS["P5"], "cacheTtlSeconds": 0})
    touched = sum(world.plugin.metric("cloudsql_cos_ts_source_objects_total", event=e) for e in ("read", "cached"))
    assert touched >= world.objects


def test_p1_reads_no_object(world: World, tmp_path: Path) -> None:
    """DESCRIBE needs the columns only: a cold plugin answers P1 without listing or ingesting anything."""
    plugin = PluginProcess(cache_dir=tmp_path / "cache").start()
    try:
        answer = plugin.query(world.query("P1", MODELS["P1"]), context=world.context)["P1"]
        assert answer.status == 200, answer.error
        assert plugin.metric("cloudsql_cos_ts_source_objects_total") == 0
        assert not list((tmp_path / "cache").rglob("*.parquet"))
    finally:
        plugin.stop()
