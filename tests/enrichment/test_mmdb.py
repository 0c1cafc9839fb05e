"""A user's MaxMind DB files (``.mmdb``) replace the bundled data like CSV files; a file that is not
one, or a MaxMind DB where only CSV fits, is a clear error naming the setting and the file."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from cloudsql_cos_ts.enrichment.data import EnrichmentData, load
from cloudsql_cos_ts.enrichment.functions import FUNCTIONS
from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.settings.enrichment import EnrichmentFiles
from tests.enrichment.mmdb_writer import write_mmdb
from tests.enrichment.samples import ASNS, COUNTRIES

BY_NAME = {function.name: function for function in FUNCTIONS}
ADDRESSES = ["8.8.8.8", "8.8.9.1", "9.9.9.9", "2001:4860:4860::8888", COUNTRIES[0][0], ASNS[0][0], "10.0.0.1"]


def write_files(folder: Path) -> EnrichmentFiles:
    """A City-style country file (one network known only by its registering country) and an ASN file."""
    country = write_mmdb(folder / "country.mmdb", [
        ("8.8.8.0/24", {"country": {"iso_code": "ZZ", "names": {"en": "Test"}},
                        "registered_country": {"iso_code": "US"}}),
        ("8.8.9.0/24", {"registered_country": {"iso_code": "ZX"}}),
        ("10.0.0.0/8", {"country": {"iso_code": "ZW"}}),  # private: the functions still say NULL
        ("2001:4860::/32", {"country": {"iso_code": "ZY"}, "is_in_european_union": False}),
        ("9.9.9.0/24", {"city": {"names": {"en": "nowhere"}}}),  # no country: no range
    ], "GeoLite2-City")
    asn = write_mmdb(folder / "asn.mmdb", [
        ("8.8.8.0/23", {"autonomous_system_number": 64500, "autonomous_system_organization": "Example Net"}),
        ("2001:4860::/32", {"autonomous_system_number": 4_200_000_000}),
    ], "GeoLite2-ASN")
    return EnrichmentFiles(country=country, asn=asn)


def call(data: EnrichmentData, name: str) -> list[object]:
    answers: list[object] = BY_NAME[name].evaluate(data, [pa.array(ADDRESSES)]).to_pylist()
    return answers


def test_maxmind_files_replace_the_bundled_data(tmp_path: Path) -> None:
    data = load(write_files(tmp_path))
    assert call(data, "geo_country") == ["ZZ", "ZX", None, "ZY", None, None, None]
    assert call(data, "asn") == [64500, 64500, None, 4_200_000_000, None, None, None]
    assert call(data, "as_name") == ["Example Net", "Example Net", None, None, None, None, None]


@pytest.mark.parametrize(("setting", "content", "message"), [
    ("country", b"not a MaxMind DB at all", "is not a valid MaxMind DB file"),
    ("asn", b"\x00" * 64 + b"\xab\xcd\xefMaxMind.com" + b"\xe0", "is not a valid MaxMind DB file"),
    ("subnets", None, "is a MaxMind DB file; this setting reads CSV"),
])
def test_a_bad_maxmind_file_names_the_setting_and_the_file(tmp_path: Path, setting: str, content: bytes | None,
                                                          message: str) -> None:
    path = tmp_path / f"{setting}.mmdb"
    if content is None:
        write_mmdb(path, [("10.0.0.0/8", {"name": "vpc"})])
    else:
        path.write_bytes(content)
    key = {"country": "geoCountryFile", "asn": "asnFile", "subnets": "subnetsFile"}[setting]
    with pytest.raises(BadRequest, match=rf"^{key}: {path} .*{message}"):
        load(EnrichmentFiles(**{setting: path}))


def test_a_maxmind_file_without_the_fields_holds_no_ranges(tmp_path: Path) -> None:
    asn = write_mmdb(tmp_path / "country-as-asn.mmdb", [("8.8.8.0/24", {"country": {"iso_code": "ZZ"}})])
    with pytest.raises(BadRequest, match="holds no ranges"):
        load(EnrichmentFiles(asn=asn))
