"""Range tables pickled compactly (Spark ships each function's table with it): the copy answers as the
original does, bundled tables and a user's nested subnets alike, and the bundled ones travel small."""

from __future__ import annotations

import pickle

import pyarrow as pa
import pytest

from cloudsql_cos_ts.enrichment.addresses import parse
from cloudsql_cos_ts.enrichment.data import EnrichmentData, load
from cloudsql_cos_ts.enrichment.ranges import RangeTable
from cloudsql_cos_ts.settings.enrichment import EnrichmentFiles, parse_enrichment_files
from tests.enrichment.samples import ASNS, COUNTRIES, DOCUMENTATION, SCOPES, write_user_files

ADDRESSES = parse(
    pa.array(
        [ip for ip, _ in SCOPES]
        + [ip for ip, _ in COUNTRIES]
        + [ip for ip, _, _ in ASNS]
        + DOCUMENTATION
        + ["10.240.64.4", "10.240.64.9", "10.240.1.1", "2001:4860:4860::8844", None]
    )
)
TABLES = {  # name: which table of the data, its value columns, whether it comes from the bundled files
    "country": ("country", ("country",), True),
    "asn": ("asn", ("asn", "as_name"), True),
    "subnets": ("subnets", ("name",), False),
}


@pytest.fixture(scope="module")
def user_data(tmp_path_factory: pytest.TempPathFactory) -> EnrichmentData:
    return load(parse_enrichment_files(write_user_files(tmp_path_factory.mktemp("files"))))


@pytest.mark.parametrize("name", TABLES)
def test_a_pickled_table_answers_as_the_original(name: str, user_data: EnrichmentData) -> None:
    attribute, columns, bundled = TABLES[name]
    table = getattr(load(EnrichmentFiles()) if bundled else user_data, attribute)
    assert isinstance(table, RangeTable)
    copy = pickle.loads(pickle.dumps(table))
    assert copy.to_arrow(columns).equals(table.to_arrow(columns))
    for column in columns:
        assert copy.lookup(ADDRESSES, column).equals(table.lookup(ADDRESSES, column))
    if not bundled:  # the nested subnets: the narrowest still wins in the copy
        found = copy.lookup(parse(pa.array(["10.240.64.4", "10.240.64.9"])), "name")
        assert found.to_pylist() == ["web-1", "web-tier"]


@pytest.mark.parametrize("name", ["country", "asn"])
def test_bundled_tables_travel_at_a_fraction_of_their_arrays(name: str) -> None:
    attribute, columns, _ = TABLES[name]
    table = getattr(load(EnrichmentFiles()), attribute)
    arrays = table.to_arrow(columns).nbytes
    assert len(pickle.dumps(table)) < arrays / 3
