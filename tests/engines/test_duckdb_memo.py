"""The DuckDB engine's address memo: bounded, replaced when the lookup data changes, and never dropped
under a query still reading it.

The bound and the table's life are checked on a DuckDB connection with ingest-entry-like Parquet
files; a changed user file is checked through QueryData's pipeline over a flow-log object.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cloudsql_cos_ts.engines.duckdb.enriched import ANSWERS, LookupTables, enriched_view, register_key_functions
from cloudsql_cos_ts.engines.duckdb.memo import AddressMemo
from cloudsql_cos_ts.enrichment.data import EnrichmentData, load
from cloudsql_cos_ts.settings.enrichment import EnrichmentFiles
from tests.engines.inprocess import InProcessPlugin
from tests.enrichment.samples import COUNTRIES, write_user_files
from tests.enrichment.test_queries import SERVER, rows, write_flows

PER_ENTRY = 30  # distinct initiators of each entry; every entry's target is the same address
COLUMNS = frozenset(f"{end}_{part}" for end in ("initiator", "target") for part in ANSWERS)


def write_entry(path: Path, second_octet: int) -> Path:
    initiators = [f"8.{second_octet}.0.{i}" for i in range(PER_ENTRY)]
    pq.write_table(pa.table({"initiator_ip": initiators * 2, "target_ip": [SERVER] * 2 * PER_ENTRY}), path)
    return path


@pytest.fixture(scope="module")
def data() -> EnrichmentData:
    return load(EnrichmentFiles())


def connection(data: EnrichmentData) -> duckdb.DuckDBPyConnection:
    made = duckdb.connect(":memory:")
    register_key_functions(made)
    LookupTables().ensure(made, data)
    return made


@pytest.fixture(scope="module")
def shared(data: EnrichmentData) -> Iterator[duckdb.DuckDBPyConnection]:
    made = connection(data)
    yield made
    made.close()


@pytest.fixture
def conn(shared: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """The module's connection with the bundled lookup tables, left without memo tables after each test."""
    yield shared
    for name in memo_tables(shared):
        shared.execute(f"DROP TABLE {name}")


def memo_tables(conn: duckdb.DuckDBPyConnection) -> set[str]:
    found = conn.execute("SELECT table_name FROM duckdb_tables() WHERE table_name LIKE '__enrich_memo_%'").fetchall()
    return {name for (name,) in found}


def enriched(conn: duckdb.DuckDBPyConnection, entries: list[Path], table: str | None) -> list[tuple[object, ...]]:
    files = ", ".join(f"'{path}'" for path in entries)
    view = enriched_view(f"read_parquet([{files}])", COLUMNS, table)
    names = ", ".join(sorted(COLUMNS))
    return sorted(conn.execute(f"SELECT initiator_ip, {names} FROM ({view})").fetchall(), key=str)


@pytest.mark.parametrize(
    "steps",
    [  # queries one after the other: the entries each reads, the addresses held after it, whether a table answers
        [([0], PER_ENTRY + 1, True)],
        [([0], PER_ENTRY + 1, True), ([0], PER_ENTRY + 1, True)],
        [([0], PER_ENTRY + 1, True), ([1], PER_ENTRY + 1, True)],  # both do not fit: a new table for the second
        [([0, 1], 0, False)],  # more than the bound in one query: looked up per query, nothing kept
        [([0], PER_ENTRY + 1, True), ([0, 1], 0, False), ([1], PER_ENTRY + 1, True)],
    ],
)
def test_the_memo_holds_at_most_its_bound_and_answers_as_the_look_up(
    steps: list[tuple[list[int], int, bool]], conn: duckdb.DuckDBPyConnection, data: EnrichmentData, tmp_path: Path
) -> None:
    entries = [write_entry(tmp_path / f"{n}.parquet", n) for n in range(2)]
    memo = AddressMemo(limit=PER_ENTRY + 10)
    for wanted, held, answered in steps:
        paths = [entries[n] for n in wanted]
        with memo.answers(conn, data, paths) as name:
            assert (name is not None) == answered
            assert enriched(conn, paths, name) == enriched(conn, paths, None)
        assert memo.addresses() == held
        assert len(memo_tables(conn)) == 1  # the tables it replaced are gone
    assert any(row[1] is not None for row in enriched(conn, entries, None))  # some initiator has an AS


def test_a_table_a_query_still_reads_outlives_its_replacement(
    conn: duckdb.DuckDBPyConnection, data: EnrichmentData, tmp_path: Path
) -> None:
    first, second = (write_entry(tmp_path / f"{n}.parquet", n) for n in range(2))
    memo = AddressMemo(limit=PER_ENTRY + 10)
    with memo.answers(conn, data, [first]) as running:
        with memo.answers(conn, data, [second]) as replacement:
            assert replacement != running
        assert running in memo_tables(conn)
        assert enriched(conn, [first], running) == enriched(conn, [first], None)
    with memo.answers(conn, data, [second]):
        assert memo_tables(conn) == {replacement}


def test_new_lookup_data_starts_a_new_table(data: EnrichmentData, tmp_path: Path) -> None:
    entry = write_entry(tmp_path / "0.parquet", 0)
    memo, lookups, conn = AddressMemo(), LookupTables(), connection(data)
    try:
        with memo.answers(conn, data, [entry]) as bundled:
            pass
        other = load(EnrichmentFiles(country=Path(write_user_files(tmp_path / "files")["geoCountryFile"])))
        lookups.ensure(conn, other)
        with memo.answers(conn, other, [entry]) as own:
            assert own != bundled
            assert enriched(conn, [entry], own) == enriched(conn, [entry], None)
        assert memo_tables(conn) == {own}
    finally:
        conn.close()


def test_a_changed_user_file_gives_new_answers_at_once(tmp_path: Path) -> None:
    """Through the pipeline: the same query before and after the datasource's files are rewritten."""
    write_flows(tmp_path / "flows")
    files = write_user_files(tmp_path / "files")
    ip = COUNTRIES[0][0]
    sql = f"SELECT initiator_country, target_subnet FROM FLOW_ENRICHED WHERE initiator_ip = '{ip}'"
    running = InProcessPlugin({"source": str(tmp_path / "flows"), **files}, tmp_path / "cache", "memo")
    try:
        before = rows(running, sql)
        Path(files["geoCountryFile"]).write_text(f"network,country\n{ip}/32,ZQ\n")
        Path(files["subnetsFile"]).write_text(f"{SERVER}/32,web-one\n")
        after = rows(running, sql)
    finally:
        running.close()
    assert before == [{"initiator_country": None, "target_subnet": "web-1"}]
    assert after == [{"initiator_country": "ZQ", "target_subnet": "web-one"}]
