"""The DuckDB engine's per-entry enriched copies (side files) that ``FLOW_ENRICHED`` reads.

Through QueryData's pipeline over flow-log objects: every enriched column equals its function (bundled
data and user files), also for a range that cuts an entry (rows before and after the cut in one entry),
and a changed user file is answered at once from a new side file. On the ingest cache: a side file counts
in its entry's size and goes with it. Two queries needing the same side file at once build it once. A
query that is cancelled or out of time stops its build between entries, and stops waiting for another's.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.engines.duckdb import sidefiles
from cloudsql_cos_ts.engines.duckdb.sidefiles import SIDE_COLUMNS, side_files
from cloudsql_cos_ts.enrichment.data import EnrichmentData, load
from cloudsql_cos_ts.enrichment.view import EXPRESSIONS
from cloudsql_cos_ts.flowlogs.ingest import IngestCache
from cloudsql_cos_ts.settings.enrichment import EnrichmentFiles
from tests.engines.inprocess import InProcessPlugin
from tests.enrichment.samples import ASNS, COUNTRIES, SCOPES, write_user_files
from tests.enrichment.test_queries import FROM_MS, PORTS, SERVER, TO_MS, rows, write_flows
from tests.plugin_host import data_query
from tests.real_objects.cases import WEB, compact, document, flow, gz, object_key

SIDE = "*.enriched-*.parquet"
ORDER = "initiator_ip, target_ip, target_port, transport_protocol, capture_start_time"
# each object's peers and its capture window: the first hour's two objects share one entry, the cut at
# 20:20 falls between them, so the kept rows are not the first rows of their entry
OBJECTS = [
    (1, ("2020-07-01T20:05:00Z", "2020-07-01T20:10:00Z"), [ip for ip, _ in COUNTRIES] + ["8.8.8.8", "not-an-ip"]),
    (
        2,
        ("2020-07-01T20:30:00Z", "2020-07-01T20:35:00Z"),
        [ip for ip, _, _ in ASNS] + ["8.8.8.9"] + [ip for ip, _ in SCOPES[:8]],
    ),
]


def write_objects(folder: Path) -> None:
    kinds = list(PORTS.values())
    for sequence, window, peers in OBJECTS:
        times = (window[0], window[1], window[0])
        records = []
        for index, peer in enumerate(peers):
            protocol, port = kinds[index % len(kinds)]
            records.append(flow(times, f"inbound accepted {peer}:40000 -> {SERVER}:{port}", protocol, (1, 1, 0, 0)))
        path = folder / object_key(WEB, "ingress", "2020-07-01T20", sequence)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(gz(compact(document(WEB, window, records))))


def enriched_and_called(running: InProcessPlugin, where: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows' enriched columns from ``FLOW_ENRICHED`` and the same columns by the functions."""
    names = ", ".join(EXPRESSIONS)
    calls = ", ".join(f"{call} AS {name}" for name, call in EXPRESSIONS.items())
    native = rows(running, f"SELECT {ORDER}, {names} FROM FLOW_ENRICHED WHERE {where} ORDER BY {ORDER}")
    called = rows(running, f"SELECT {ORDER}, {calls} FROM FLOW_FLAT WHERE {where} ORDER BY {ORDER}")
    return native, called


@pytest.fixture(scope="module", params=[False, True], ids=["bundled", "user files"])
def running(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[InProcessPlugin, Path]]:
    """One plugin over the objects, with the bundled data or with user files, and its cache folder."""
    folder = tmp_path_factory.mktemp("side")
    write_objects(folder / "flows")
    files = write_user_files(folder / "files") if request.param else {}
    made = InProcessPlugin({"source": str(folder / "flows"), **files}, folder / "cache", "side")
    yield made, folder / "cache"
    made.close()


@pytest.mark.parametrize(
    ("where", "count"),
    [
        ("true", sum(len(peers) for _, _, peers in OBJECTS)),
        ("capture_start_time >= TIMESTAMP '2020-07-01 20:20:00'", len(OBJECTS[1][2])),  # the entry's later rows
        ("capture_start_time < TIMESTAMP '2020-07-01 20:20:00'", len(OBJECTS[0][2])),
    ],
    ids=["whole entry", "range cuts its first rows", "range cuts its last rows"],
)
def test_every_column_equals_its_function(running: tuple[InProcessPlugin, Path], where: str, count: int) -> None:
    native, called = enriched_and_called(running[0], where)
    assert native == called
    assert len(native) == count
    assert any(row["initiator_country"] or row["initiator_asn"] for row in native)  # not NULLs alone
    assert len(list(running[1].rglob(SIDE))) == 1  # one entry: the hour


def test_a_changed_user_file_gives_new_answers_at_once(tmp_path: Path) -> None:
    """The same query before and after the datasource's files are rewritten: a new side file answers."""
    write_flows(tmp_path / "flows")
    files = write_user_files(tmp_path / "files")
    ip = COUNTRIES[0][0]
    sql = f"SELECT initiator_country, target_subnet FROM FLOW_ENRICHED WHERE initiator_ip = '{ip}'"
    running = InProcessPlugin({"source": str(tmp_path / "flows"), **files}, tmp_path / "cache", "side")
    try:
        before = rows(running, sql)
        Path(files["geoCountryFile"]).write_text(f"network,country\n{ip}/32,ZQ\n")
        Path(files["subnetsFile"]).write_text(f"{SERVER}/32,web-one\n")
        after = rows(running, sql)
    finally:
        running.close()
    assert before == [{"initiator_country": None, "target_subnet": "web-1"}]
    assert after == [{"initiator_country": "ZQ", "target_subnet": "web-one"}]
    assert len(list((tmp_path / "cache").rglob(SIDE))) == 2  # the old one goes with its entry


def entry(root: Path, group: str, fill: str, count: int) -> Path:
    path = root / group / f"{fill * 64}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    duckdb.sql(
        f"COPY (SELECT '8.8.8.' || (i % 200) AS initiator_ip, '{SERVER}' AS target_ip, 443 AS target_port, "
        f"6 AS transport_protocol FROM range({count}) t(i)) TO '{path}' (FORMAT parquet)"
    )
    return path


@pytest.fixture(scope="module")
def conn() -> Iterator[duckdb.DuckDBPyConnection]:
    """The connection whose cursors write the side files, as the engine's queries do."""
    made = duckdb.connect(":memory:")
    yield made
    made.close()


def test_side_files_count_in_the_cache_and_go_with_their_entry(conn: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    cache = IngestCache(tmp_path, 1 << 30)
    old, new = entry(tmp_path, "a", "1", 5000), entry(tmp_path, "b", "2", 5000)
    data = load(EnrichmentFiles())
    [old_side] = side_files(conn, cache, [old], data, CancelToken())
    orphan = cache.companion_path(tmp_path / "c" / f"{'3' * 64}.parquet", "enriched-0")
    orphan.parent.mkdir()
    orphan.write_bytes(b"left by an entry deleted elsewhere")
    assert cache.total_bytes() == old.stat().st_size + old_side.stat().st_size + new.stat().st_size
    assert not orphan.exists()  # counting the cache's bytes dropped it

    cache.max_bytes = new.stat().st_size  # room for one entry, without its side file
    for path in (old, old_side):
        os.utime(path, (0, 0))  # long unused
    # its build evicts: the old entry and its side file go
    [new_side] = side_files(conn, cache, [new], data, CancelToken())
    assert not old.exists() and not old_side.exists()
    assert new.exists() and new_side.exists()  # the query's own entry is spared


def test_two_queries_at_once_build_one_side_file(
    conn: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = IngestCache(tmp_path, 1 << 30)
    path = entry(tmp_path, "a", "4", 200_000)
    built: list[int] = []
    original = sidefiles.side_table

    def counted(rows: pa.Table, data: EnrichmentData) -> pa.Table:
        built.append(rows.num_rows)
        return original(rows, data)

    monkeypatch.setattr(sidefiles, "side_table", counted)
    started = threading.Barrier(2)
    found: list[list[Path]] = []

    def query() -> None:
        started.wait()
        found.append(side_files(conn.cursor(), cache, [path], load(EnrichmentFiles()), CancelToken()))

    threads = [threading.Thread(target=query) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert built == [200_000]
    assert found[0] == found[1] and found[0][0].exists()
    assert pq.read_metadata(found[0][0]).num_rows == 200_000
    # the copy: the entry's own columns (whatever they are) in its row order, then the enriched ones
    copy, original_rows = pq.read_table(found[0][0]), pq.read_table(path)
    assert copy.column_names == [*original_rows.column_names, *SIDE_COLUMNS]
    assert copy.select(original_rows.column_names).to_pydict() == original_rows.to_pydict()


def test_a_cancelled_build_keeps_what_it_wrote_and_leaves_the_rest(
    conn: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = IngestCache(tmp_path, 1 << 30)
    entries = [entry(tmp_path, "a", "5", 5000), entry(tmp_path, "b", "6", 5000)]
    cancel = CancelToken()
    original = sidefiles.side_table

    def cancelled_during(rows: pa.Table, data: EnrichmentData) -> pa.Table:
        cancel.cancel()  # Grafana gives up while the first entry's answers are computed
        return original(rows, data)

    monkeypatch.setattr(sidefiles, "side_table", cancelled_during)
    with pytest.raises(duckdb.InterruptException):
        side_files(conn.cursor(), cache, entries, load(EnrichmentFiles()), cancel)
    tag = f"enriched-{load(EnrichmentFiles()).identity[:16]}"
    first, second = (cache.companion_path(path, tag) for path in entries)
    assert pq.read_metadata(first).num_rows == 5000  # whole, and used by the next query
    assert not second.exists() and not list(tmp_path.rglob(".tmp-*"))


def test_a_query_out_of_time_stops_waiting_for_another_build(tmp_path: Path) -> None:
    """Through QueryData: while another query's build holds the lock, an enriched query with a short
    deadline answers with its timeout instead of waiting; once the build is over the same query answers."""
    write_objects(tmp_path / "flows")
    running = InProcessPlugin({"source": str(tmp_path / "flows")}, tmp_path / "cache", "wait")
    query = data_query(
        "A", {"rawSql": "SELECT initiator_country FROM FLOW_ENRICHED", "format": "table"}, from_ms=FROM_MS, to_ms=TO_MS
    )
    try:
        with sidefiles._BUILDING:
            began = time.monotonic()
            stopped = running.run(query, timeout_s=3)["A"]
            waited = time.monotonic() - began
        answered = running.run(query)["A"]
    finally:
        running.close()
    assert stopped.status == 504 and "time limit" in stopped.error, stopped.error
    assert waited < 15  # the deadline's 3 s and the ingest, not the held build
    assert answered.status == 200, answered.error
    assert answered.frames[0].num_rows == sum(len(peers) for _, _, peers in OBJECTS)
