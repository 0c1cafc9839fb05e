"""The enrichment functions over Arrow arrays: bundled data, scopes, names, user files, bad files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from cloudsql_cos_ts.enrichment import data as data_module
from cloudsql_cos_ts.enrichment.data import EnrichmentData, load
from cloudsql_cos_ts.enrichment.functions import FUNCTIONS, NAMES
from cloudsql_cos_ts.enrichment.view import EXPRESSIONS, enriches, functions_used, source_relations
from cloudsql_cos_ts.errors import BadRequest, InternalError
from cloudsql_cos_ts.flowlogs.schema import ENRICHED_COLUMNS
from cloudsql_cos_ts.settings.enrichment import EnrichmentFiles
from tests.enrichment.samples import ASNS, COUNTRIES, DOCUMENTATION, SCOPES, write_user_files

BY_NAME = {function.name: function for function in FUNCTIONS}


@pytest.fixture(scope="module")
def bundled() -> EnrichmentData:
    return load(EnrichmentFiles())


def call(data: EnrichmentData, name: str, *columns: list[Any]) -> list[Any]:
    return BY_NAME[name].evaluate(data, [pa.array(column) for column in columns]).to_pylist()


def test_countries_and_asns_from_the_bundled_data(bundled: EnrichmentData) -> None:
    assert call(bundled, "geo_country", [ip for ip, _ in COUNTRIES]) == [code for _, code in COUNTRIES]
    addresses = [ip for ip, _, _ in ASNS]
    assert call(bundled, "asn", addresses) == [asn for _, asn, _ in ASNS]
    assert call(bundled, "as_name", addresses) == [name for _, _, name in ASNS]


@pytest.mark.parametrize("name", ["geo_country", "asn", "as_name"])
def test_documentation_private_and_malformed_addresses_are_null(bundled: EnrichmentData, name: str) -> None:
    values = [*DOCUMENTATION, "10.0.0.1", "161.26.0.10", "garbage", "1.2.3.256", None]
    assert call(bundled, name, values) == [None] * len(values)


def test_every_scope_class(bundled: EnrichmentData) -> None:
    assert call(bundled, "ip_scope", [ip for ip, _ in SCOPES]) == [scope for _, scope in SCOPES]


@pytest.mark.parametrize(
    ("port", "protocol", "service"),
    [(443, 6, "https"), (53, 17, "domain"), (22, 6, "ssh"), (3389, 6, "ms-wbt-server"), (0, 6, None),
     (443, 1, None), (70000, 6, None), (-1, 17, None), (None, 6, None), (443, None, None)],
)
def test_service_names(bundled: EnrichmentData, port: int | None, protocol: int | None, service: str | None) -> None:
    assert call(bundled, "service_name", [port], [protocol]) == [service]


def test_protocol_names(bundled: EnrichmentData) -> None:
    numbers = [1, 6, 17, 47, 50, 58, 132, 200, 256, -1, None]
    assert call(bundled, "protocol_name", numbers) == [
        "ICMP", "TCP", "UDP", "GRE", "ESP", "IPv6-ICMP", "SCTP", None, None, None, None
    ]


def test_user_files_replace_the_bundled_data(tmp_path: Path) -> None:
    keys = write_user_files(tmp_path)
    data = load(EnrichmentFiles(Path(keys["geoCountryFile"]), Path(keys["asnFile"]), Path(keys["subnetsFile"])))
    ips = ["8.8.8.8", "2001:4860:1::1", COUNTRIES[0][0], "10.240.64.4", "10.240.64.9", "10.240.1.1", "10.9.9.9"]
    assert call(data, "geo_country", ips) == ["ZZ", "ZY", None, None, None, None, None]
    assert call(data, "asn", ips[:3]) == [64500, None, None]
    assert call(data, "as_name", ips[:1]) == ["Example Net"]
    assert call(data, "subnet_name", ips) == [None, None, None, "web-1", "web-tier", "vpc-us-south", None]


def test_without_a_subnets_file_subnet_names_are_null(bundled: EnrichmentData) -> None:
    assert call(bundled, "subnet_name", ["10.240.64.4", None]) == [None, None]


@pytest.mark.parametrize(
    ("key", "text", "message"),
    [
        ("geoCountryFile", "8.8.8.0/24\n", "holds no ranges"),  # a first line that does not parse is a header
        ("geoCountryFile", "network,country\n8.8.8.0/24,US\nnot-a-network,US\n", "line 3"),
        ("asnFile", "network,asn,as_name\n8.8.8.0/24,notanumber,Example\n", "line 2"),
        ("asnFile", "first,last,asn,as_name\n8.8.8.9,8.8.8.1,1,Backwards\n", "line 2"),
        ("subnetsFile", "network,name\n", "holds no ranges"),
        ("subnetsFile", b"\xff\xfe\x00bad", "not UTF-8"),
    ],
)
def test_bad_user_files_name_the_setting_and_the_line(tmp_path: Path, key: str, text: str | bytes,
                                                      message: str) -> None:
    path = tmp_path / "file.csv"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    files = EnrichmentFiles(**{{"geoCountryFile": "country", "asnFile": "asn", "subnetsFile": "subnets"}[key]: path})
    with pytest.raises(BadRequest) as raised:
        load(files)
    assert key in str(raised.value)
    assert message in str(raised.value)


def test_a_build_without_the_data_is_a_clear_500(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    subnets = tmp_path / "subnets.csv"  # a new set of files, so nothing loaded earlier answers
    subnets.write_text("10.0.0.0/8,vpc\n")
    monkeypatch.setattr(data_module, "BUNDLED", tmp_path / "data")
    with pytest.raises(InternalError, match=r"lacks its enrichment data \(as_names.parquet, asn.parquet"):
        load(EnrichmentFiles(subnets=subnets))


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(BadRequest, match=r"subnetsFile: cannot read .*missing\.csv"):
        load(EnrichmentFiles(subnets=tmp_path / "missing.csv"))


def test_the_view_computes_the_declared_columns() -> None:
    assert list(EXPRESSIONS) == [name for name, _ in ENRICHED_COLUMNS]


@pytest.mark.parametrize(
    ("sql", "expected"),
    [("SELECT geo_country(ip) FROM t", True), ("select ASN (ip) from t", True), ("SELECT * FROM flow_enriched", True),
     ("SELECT asn_total FROM t", False), ("SELECT 'geo_country' FROM t", False)],
)
def test_which_queries_enrich(sql: str, expected: bool) -> None:
    assert enriches(sql) is expected


@pytest.mark.parametrize(
    ("sql", "expected"),
    [("SELECT geo_country(ip), ASN (ip) FROM t", {"geo_country", "asn"}), ("SELECT * FROM FLOW_ENRICHED", NAMES),
     ("SELECT 1", set())],
)
def test_which_functions_a_query_needs(sql: str, expected: set[str]) -> None:
    assert functions_used(sql) == expected


@pytest.mark.parametrize(
    ("wanted", "described", "asked", "asked_described"),
    [
        ({"FLOW_ENRICHED"}, set(), {"FLOW_FLAT"}, set()),
        ({"FLOW_ENRICHED"}, {"FLOW_ENRICHED"}, {"FLOW_FLAT"}, {"FLOW_FLAT"}),
        ({"FLOW_ENRICHED", "FLOW_FLAT"}, {"FLOW_ENRICHED"}, {"FLOW_FLAT"}, set()),
        ({"FLOW"}, {"FLOW"}, {"FLOW"}, {"FLOW"}),
    ],
)
def test_flow_enriched_reads_flow_flat(wanted: set[str], described: set[str], asked: set[str],
                                       asked_described: set[str]) -> None:
    assert source_relations(wanted, frozenset(described)) == (asked, frozenset(asked_described))
