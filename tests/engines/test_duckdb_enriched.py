"""``FLOW_ENRICHED`` on DuckDB (joins against lookup tables) gives what the enrichment functions give.

Every enriched column of the native view, with the addresses looked up per query and from an ingest
entry's enriched copy (its side file), is compared with the function call it stands for, over the scope
samples, addresses with a country or AS in the bundled data, IPv6, malformed text and NULL,
with the bundled data and with a user's files (nested subnets: the narrowest wins); and a query
computes only the enriched columns it names.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.engines.duckdb.enrich import register_functions
from cloudsql_cos_ts.engines.duckdb.enriched import LookupTables, enriched_view, register_key_functions
from cloudsql_cos_ts.engines.duckdb.sidefiles import side_files
from cloudsql_cos_ts.enrichment.data import load
from cloudsql_cos_ts.enrichment.view import EXPRESSIONS, columns_read
from cloudsql_cos_ts.flowlogs.ingest import IngestCache
from cloudsql_cos_ts.settings.enrichment import EnrichmentFiles, parse_enrichment_files
from tests.enrichment.samples import ASNS, COUNTRIES, DOCUMENTATION, SCOPES, write_user_files

ADDRESSES = (
    [ip for ip, _ in SCOPES]
    + [ip for ip, _ in COUNTRIES]
    + [ip for ip, _, _ in ASNS]
    + DOCUMENTATION
    + [
        "8.8.8.8",
        "8.8.8.200",
        "10.240.64.4",
        "10.240.64.9",
        "10.240.1.1",
        "001.2.3.4",
        "1.2.3.4 ",
        "::ffff:8.8.8.8",
        "2001:4860:4860::8844",
        "0:0:0:0:0:0:0:1",
        "fe80::1%eth0",
        None,
    ]
)
PORTS = [(443, 6), (53, 17), (22, 6), (0, 1), (5432, 6), (70000, 6), (-1, 17), (None, 6), (443, None), (1, 250)]


def flows() -> pa.Table:
    """Each address twice per end (flows repeat their endpoints: each must still give one row per flow)."""
    initiators = ADDRESSES * 2
    count = len(initiators)
    return pa.table(
        {
            "initiator_ip": pa.array(initiators, pa.string()),
            "target_ip": pa.array(list(reversed(initiators)), pa.string()),
            "target_port": pa.array([PORTS[i % len(PORTS)][0] for i in range(count)], pa.int64()),
            "transport_protocol": pa.array([PORTS[i % len(PORTS)][1] for i in range(count)], pa.int64()),
            "row": pa.array(range(count), pa.int64()),
        }
    )


def connection(files: EnrichmentFiles) -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect(":memory:")
    register_functions(conn, files)
    register_key_functions(conn)
    LookupTables().ensure(conn, load(files))
    conn.register("flat", flows())
    return conn


def answers(conn: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    reader = conn.sql(sql)
    assert reader is not None
    return sorted(reader.arrow().read_all().to_pylist(), key=lambda row: row["row"])


@pytest.fixture(scope="module")
def bundled() -> Iterator[duckdb.DuckDBPyConnection]:
    conn = connection(EnrichmentFiles())
    yield conn
    conn.close()


@pytest.mark.parametrize("side_file", [False, True], ids=["looked up per query", "side file"])
@pytest.mark.parametrize("own_files", [False, True], ids=["bundled", "user files"])
def test_every_column_matches_its_function(
    own_files: bool, side_file: bool, tmp_path: Path, bundled: duckdb.DuckDBPyConnection
) -> None:
    files = parse_enrichment_files(write_user_files(tmp_path)) if own_files else EnrichmentFiles()
    conn = connection(files) if own_files else bundled
    if side_file:  # the flows as an ingest entry, read from its enriched copy
        entry = tmp_path / "ingest" / "group" / f"{'0' * 64}.parquet"
        entry.parent.mkdir(parents=True)
        pq.write_table(flows(), entry)
        [side] = side_files(conn, IngestCache(tmp_path / "ingest", 1 << 30), [entry], load(files), CancelToken())
        view = f"SELECT * FROM read_parquet('{side}')"
    else:
        view = enriched_view("flat", frozenset(EXPRESSIONS))
    native = answers(conn, f"SELECT * FROM ({view})")
    calls = ", ".join(f"{call} AS {name}" for name, call in EXPRESSIONS.items())
    expected = answers(conn, f"SELECT *, {calls} FROM flat")
    assert native == expected
    assert any(row["initiator_country"] for row in native)  # the comparison is not of NULLs alone
    if own_files:
        subnets = {row["initiator_ip"]: row["initiator_subnet"] for row in native}
        assert (subnets["10.240.64.4"], subnets["10.240.64.9"], subnets["10.240.1.1"]) == (
            "web-1",
            "web-tier",
            "vpc-us-south",
        )


@pytest.mark.parametrize(
    ("sql", "read"),
    [
        ("SELECT initiator_country, count(*) FROM FLOW_ENRICHED GROUP BY 1", {"initiator_country"}),
        ("SELECT Target_ASN AS asn, count(*) FROM FLOW_ENRICHED GROUP BY 1", {"target_asn"}),
        ("SELECT * FROM FLOW_ENRICHED", set(EXPRESSIONS)),
        ("SELECT e.* FROM FLOW_ENRICHED e", set(EXPRESSIONS)),
        ("SELECT COLUMNS('.*country') FROM FLOW_ENRICHED", set(EXPRESSIONS)),
        ("SELECT count(*) FROM FLOW_ENRICHED", set()),
    ],
)
def test_only_the_columns_a_query_names_are_computed(sql: str, read: set[str]) -> None:
    assert columns_read(sql) == read


def test_unread_columns_are_typed_nulls(bundled: duckdb.DuckDBPyConnection) -> None:
    view = enriched_view("flat", frozenset({"target_scope"}))
    rows = answers(bundled, f"SELECT target_scope, initiator_asn, protocol_name, row FROM ({view})")
    assert [row["row"] for row in rows] == list(range(2 * len(ADDRESSES)))  # one row per flow
    assert {row["initiator_asn"] for row in rows} == {None}
    assert rows[0]["target_scope"] is None and rows[1]["target_scope"] is not None  # reversed: NULL first
