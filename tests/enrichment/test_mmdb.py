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
from tests.enrichment.samples import ASNS, COUNTRIES, write_mmdb_files

BY_NAME = {function.name: function for function in FUNCTIONS}
ADDRESSES = ["8.8.8.8", "8.8.9.1", "9.9.9.9", "2001:4860:4860::8888", COUNTRIES[0][0], ASNS[0][0], "10.0.0.1"]


def call(data: EnrichmentData, name: str) -> list[object]:
    answers: list[object] = BY_NAME[name].evaluate(data, [pa.array(ADDRESSES)]).to_pylist()
    return answers


def test_maxmind_files_replace_the_bundled_data(tmp_path: Path) -> None:
    data = load(write_mmdb_files(tmp_path))
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
