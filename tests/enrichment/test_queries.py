"""Enrichment through QueryData's pipeline on DuckDB and on the real Spark Connect server.

One flow-log object holds flows between known addresses (picked from the bundled data, see
``samples.py``); the same SQL must give the same enriched rows on both engines, with the bundled
data and with the datasource's own files; an unusable file is a 400 that names it, and fails
"Save & test".
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cloudsql_cos_ts.flowlogs.schema import FLOW_ENRICHED, RELATIONS
from cloudsql_cos_ts.health.check import check_health
from tests.engines.inprocess import InProcessPlugin
from tests.enrichment.samples import ASNS, COUNTRIES, write_mmdb_files, write_user_files
from tests.plugin_host import data_query
from tests.real_objects.cases import WEB, compact, document, flow, gz, object_key

FROM_MS, TO_MS = 1593633600000, 1593640800000  # 2020-07-01 20:00 to 22:00 UTC
TIMES = ("2020-07-01T20:10:00Z", "2020-07-01T20:11:00Z", "2020-07-01T20:10:00Z")
SERVER = "10.240.64.4"
PEERS = [ip for ip, _ in COUNTRIES] + [ip for ip, _, _ in ASNS] + ["198.51.100.23", "161.26.0.10", "not-an-ip"]
PORTS = {"tcp": (6, 443), "udp": (17, 53), "icmp": (1, 0)}

ENDS_SQL = (
    "SELECT initiator_ip, geo_country(initiator_ip) AS country, asn(initiator_ip) AS asn, "
    "as_name(initiator_ip) AS as_name, ip_scope(initiator_ip) AS scope, subnet_name(target_ip) AS subnet, "
    "service_name(target_port, transport_protocol) AS service, protocol_name(transport_protocol) AS protocol "
    "FROM FLOW_FLAT ORDER BY initiator_ip"
)


def _records() -> list[dict[str, Any]]:
    kinds = list(PORTS.values())
    records = []
    for index, peer in enumerate(PEERS):
        protocol, port = kinds[index % len(kinds)]
        route = f"inbound rejected {peer}:40000 -> {SERVER}:{port}"
        records.append(flow(TIMES, route, protocol, (100, 1, 0, 0)))
    return records


def write_flows(folder: Path) -> None:
    body = gz(compact(document(WEB, ("2020-07-01T20:10:00Z", "2020-07-01T20:15:00Z"), _records())))
    path = folder / object_key(WEB, "ingress", "2020-07-01T20", 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)


@pytest.fixture(scope="module")
def flows(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("enrichment-flows")
    write_flows(folder)
    return folder


@pytest.fixture(scope="module", params=["duckdb", "spark"])
def engine(request: pytest.FixtureRequest) -> dict[str, str]:
    if request.param == "spark":
        return {"engine": "spark", "sparkUrl": request.getfixturevalue("spark_url")}
    return {}


def plugin(json_data: dict[str, Any], cache: Path) -> InProcessPlugin:
    return InProcessPlugin(json_data, cache, "enrich")


def rows(plugin: InProcessPlugin, sql: str) -> list[dict[str, Any]]:
    answer = plugin.run(data_query("A", {"rawSql": sql, "format": "table"}, from_ms=FROM_MS, to_ms=TO_MS))["A"]
    assert answer.status == 200, answer.error
    (frame,) = answer.frames
    return frame.to_pylist()


@pytest.fixture(scope="module")
def bundled(engine: dict[str, str], flows: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessPlugin]:
    running = plugin({**engine, "source": str(flows)}, tmp_path_factory.mktemp("cache"))
    yield running
    running.close()


def test_bundled_data_resolves_known_addresses(bundled: InProcessPlugin) -> None:
    by_ip = {row["initiator_ip"]: row for row in rows(bundled, ENDS_SQL)}
    for ip, code in COUNTRIES:
        assert (by_ip[ip]["country"], by_ip[ip]["scope"]) == (code, "public")
    for ip, asn, name in ASNS:
        assert (by_ip[ip]["asn"], by_ip[ip]["as_name"]) == (asn, name)
    unresolved = ("198.51.100.23", "161.26.0.10", "not-an-ip")
    assert [by_ip[ip][k] for ip in unresolved for k in ("country", "asn")] == [None] * 6
    assert [by_ip[ip]["scope"] for ip in unresolved] == [
        "documentation", "ibm-service", None
    ]
    assert {(row["service"], row["protocol"]) for row in by_ip.values()} == {
        ("https", "TCP"), ("domain", "UDP"), (None, "ICMP")
    }
    assert {row["subnet"] for row in by_ip.values()} == {None}


def test_flow_enriched_has_both_ends(bundled: InProcessPlugin) -> None:
    sql = ("SELECT target_country, target_scope, initiator_country, initiator_scope, target_service, protocol_name "
           "FROM FLOW_ENRICHED WHERE initiator_ip = '{ip}'")
    (row,) = rows(bundled, sql.format(ip=COUNTRIES[0][0]))
    assert row == {"target_country": None, "target_scope": "private", "initiator_country": COUNTRIES[0][1],
                   "initiator_scope": "public", "target_service": "https", "protocol_name": "TCP"}


def test_flow_enriched_reads_the_range_of_its_own_time_predicate(bundled: InProcessPlugin) -> None:
    """As for FLOW_FLAT: a dashboard range of another day does not hide flows the SQL asks for."""
    sql = ("SELECT count(*) AS flows FROM FLOW_ENRICHED WHERE capture_start_time >= TIMESTAMP '2020-07-01 20:00:00' "
           "AND capture_start_time < TIMESTAMP '2020-07-01 21:00:00'")
    day_later = 86_400_000
    model = {"rawSql": sql, "format": "table"}
    answer = bundled.run(data_query("A", model, from_ms=FROM_MS + day_later, to_ms=TO_MS + day_later))["A"]
    assert answer.status == 200, answer.error
    assert answer.frames[0].column("flows").to_pylist() == [len(PEERS)]


def test_one_statement_reads_flow_enriched_and_flow_flat(bundled: InProcessPlugin) -> None:
    """On DuckDB FLOW_FLAT's view is left out when only FLOW_ENRICHED is named: a statement naming both gets both."""
    sql = ("SELECT (SELECT count(coalesce(initiator_scope, '')) FROM FLOW_ENRICHED) AS enriched, "
           "(SELECT count(*) FROM FLOW_FLAT) AS flat")
    (row,) = rows(bundled, sql)
    assert row["enriched"] == row["flat"] > 0


def test_rejected_traffic_by_country(bundled: InProcessPlugin) -> None:
    sql = ("SELECT initiator_country AS country, count(*) AS flows FROM FLOW_ENRICHED WHERE action = 'rejected' "
           "AND initiator_country IS NOT NULL GROUP BY initiator_country ORDER BY country")
    expected: dict[str, int] = {}
    for ip in PEERS[: len(COUNTRIES) + len(ASNS)]:
        code = dict(COUNTRIES).get(ip)
        if code is not None:
            expected[code] = expected.get(code, 0) + 1
    found = {row["country"]: row["flows"] for row in rows(bundled, sql)}
    assert {code: found[code] for code in expected} == expected


@pytest.mark.parametrize(
    ("country", "view"), [("geo_country(initiator_ip)", "FLOW_FLAT"), ("initiator_country", "FLOW_ENRICHED")]
)
def test_alert_series_carry_the_country_as_a_label(bundled: InProcessPlugin, country: str, view: str) -> None:
    """Both forms docs/enrichment.md names: the function over FLOW_FLAT, the column of FLOW_ENRICHED."""
    sql = (f"SELECT $__timeGroup(start_time, '5m') AS time, target_ip, {country} AS country, "
           f"count(*) AS rejected FROM {view} WHERE action = 'rejected' AND "
           "$__timeFilterColumn(start_time, string) GROUP BY 1, 2, 3 ORDER BY 1")
    model = {"rawSql": sql, "format": "time_series", "timeColumn": "time", "metricsColumn": "target_ip"}
    answer = bundled.run(data_query("A", model, from_ms=FROM_MS, to_ms=TO_MS), from_alert=True)["A"]
    assert answer.status == 200, answer.error
    labels = [json.loads(frame.schema.field(1).metadata[b"labels"]) for frame in answer.frames]
    countries = {code for _, code in COUNTRIES}
    assert {label.get("country") for label in labels} >= countries | {None}
    assert all(label["target_ip"] == SERVER for label in labels)


@pytest.mark.parametrize("kind", ["csv", "mmdb"])
def test_user_files_override_the_bundled_data(engine: dict[str, str], flows: Path, tmp_path: Path, kind: str) -> None:
    files = write_user_files(tmp_path / "files")
    if kind == "mmdb":  # MaxMind DB files for the country and ASN data (subnets are CSV only)
        own = write_mmdb_files(tmp_path / "files")
        files |= {"geoCountryFile": str(own.country), "asnFile": str(own.asn)}
    running = plugin({**engine, "source": str(flows), **files}, tmp_path / "cache")
    try:
        by_ip = {row["initiator_ip"]: row for row in rows(running, ENDS_SQL)}
    finally:
        running.close()
    assert by_ip[COUNTRIES[0][0]]["country"] is None  # the user's country file does not hold it
    assert by_ip[ASNS[0][0]]["asn"] is None
    assert {row["subnet"] for row in by_ip.values()} == {"web-1"}


BAD_FILES = {  # setting, file name, content, what the error says after the path
    "csv": ("subnetsFile", "subnets.csv", b"network,name\n10.0.0.0/8,ok\n10.0.0.0/33,broken\n", "line 3"),
    "mmdb": ("asnFile", "asn.mmdb", b"no MaxMind DB here", "is not a valid MaxMind DB file"),
}


@pytest.mark.parametrize("kind", BAD_FILES)
def test_a_bad_file_is_a_400_naming_it_and_fails_save_and_test(engine: dict[str, str], flows: Path, tmp_path: Path,
                                                                kind: str) -> None:
    setting, name, content, named = BAD_FILES[kind]
    bad = tmp_path / name
    bad.write_bytes(content)
    running = plugin({**engine, "source": str(flows), setting: str(bad)}, tmp_path / "cache")
    try:
        answer = running.run(data_query("A", {"rawSql": ENDS_SQL}, from_ms=FROM_MS, to_ms=TO_MS))["A"]
        report = check_health(running.instances, running.context)
    finally:
        running.close()
    assert answer.status == 400
    assert f"{setting}: {bad} {named}" in answer.error
    stages = {stage["name"]: stage for stage in json.loads(report.details_json())["stages"]}
    assert not report.ok
    assert stages["enrichment"]["status"] == "error"
    assert f"{bad} {named}" in stages["enrichment"]["detail"]


@pytest.mark.parametrize("key", ["initiator_ip", "initiator_country"])
def test_adhoc_filters_apply_to_flow_enriched(bundled: InProcessPlugin, key: str) -> None:
    """A dashboard filter on a FLOW_FLAT column or on an enriched one narrows FLOW_ENRICHED like FLOW_FLAT."""
    ip, code = COUNTRIES[0]
    value = ip if key == "initiator_ip" else code
    model = {"rawSql": "SELECT initiator_ip, initiator_country FROM FLOW_ENRICHED", "format": "table",
             "adhocFilters": [{"key": key, "operator": "=", "value": value}]}
    answer = bundled.run(data_query("A", model, from_ms=FROM_MS, to_ms=TO_MS))["A"]
    assert answer.status == 200, answer.error
    assert answer.frames[0].to_pylist() == [{"initiator_ip": ip, "initiator_country": code}]


def test_describe_flow_enriched_lists_every_column(bundled: InProcessPlugin) -> None:
    described = rows(bundled, "DESCRIBE(FLOW_ENRICHED)")  # the first column names them (each engine its header)
    assert [next(iter(row.values())) for row in described] == [name for name, _ in RELATIONS[FLOW_ENRICHED]]
