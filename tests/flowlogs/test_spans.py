"""Span files (``flowlogs/spans.py``): which runs of day entries a span stands in for, the same answers with and
without spans (in process and through the plugin process), a late object, a damaged or half-written span, a
stopped merge, and two processes merging the same run."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from cloudsql_cos_ts.activity import ACTIVITY, QUIET_S
from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.engines.duckdb.source import FlowLogSource, SourceRelations
from cloudsql_cos_ts.engines.duckdb.views import flow_sql
from cloudsql_cos_ts.flowlogs.decode import DAMAGED, RECORD_INDEX
from cloudsql_cos_ts.flowlogs.generator import GenerationSummary
from cloudsql_cos_ts.flowlogs.groups import EntryGroup, settled_runs
from cloudsql_cos_ts.flowlogs.ingest import IngestCache, is_entry_name
from cloudsql_cos_ts.flowlogs.parallel import run_jobs
from cloudsql_cos_ts.flowlogs.scan import SourceScan
from cloudsql_cos_ts.flowlogs.schema import FLOW, FLOW_FLAT
from cloudsql_cos_ts.flowlogs.spans import MERGER, SPAN_IDLE_S, SPANS_GROUP, SpanMerger, Spans, merge, span_path
from cloudsql_cos_ts.storage.local import LocalStore
from cloudsql_cos_ts.timerange import TimeRange
from tests.flowlogs.conftest import WEEK_END
from tests.plugin_host import PluginProcess, data_query, datasource_context, decode_frames, frame_meta

BOTH = frozenset({FLOW, FLOW_FLAT})
START = WEEK_END - timedelta(days=7)
# Inside the set, with partial first and last days: hour entries around two day entries.
INNER = (START + timedelta(days=1, hours=18), START + timedelta(days=4, hours=3))


def _group(kind: str) -> EntryGroup:
    """A day entry ("day"), an hour of a settled day ("settled") or another hour ("hour")."""
    day = date(2026, 5, 1)
    return EntryGroup(
        kind,
        [],
        [],
        frozenset(),
        frozenset(),
        (),
        day=day if kind == "day" else None,
        settled_day=day if kind == "settled" else None,
    )


@pytest.mark.parametrize(
    ("kinds", "runs"),
    [
        ([], ()),
        (["hour", "hour"], ()),
        (["day"], ()),
        (["day", "day"], ((0, 2),)),
        (["hour", "day", "day", "day", "hour"], ((1, 4),)),
        (["settled", "settled", "day", "day", "settled", "hour", "hour"], ((0, 5),)),
        (["day", "day", "hour", "day", "settled", "day"], ((0, 2), (3, 6))),
        (["day", "hour", "settled"], ()),
        (["settled", "settled", "settled", "hour"], ()),  # the hours of one day: no day entry
    ],
)
def test_settled_runs(kinds: list[str], runs: tuple[tuple[int, int], ...]) -> None:
    assert settled_runs([_group(kind) for kind in kinds]) == runs


def _range(start: datetime, end: datetime) -> TimeRange:
    return TimeRange(int(start.timestamp() * 1000), int(end.timestamp() * 1000))


def _query(
    folder: Path, cache: IngestCache, span: tuple[datetime, datetime] = INNER, dashboard: bool = False
) -> SourceRelations:
    """A fresh source over ``folder`` (no remembered plan), as another panel or process would make it."""
    source = FlowLogSource(LocalStore(folder), "", cache, f"{folder}/")
    return source.relations(SourceScan(_range(*span), dashboard_applied=dashboard), BOTH, CancelToken())


def _spans_dir(folder: Path, cache: IngestCache) -> Path:
    return cache.group_dir(LocalStore(folder), "", SPANS_GROUP)


def _warm_with_span(folder: Path, cache: IngestCache, **kwargs: object) -> SourceRelations:
    """Query until the span of the range's days is read: cold, warm (which asks for it), then with it."""
    _query(folder, cache, **kwargs)  # type: ignore[arg-type]
    _query(folder, cache, **kwargs)  # type: ignore[arg-type]
    MERGER.wait()
    with_span = _query(folder, cache, **kwargs)  # type: ignore[arg-type]
    assert with_span.stats["spans"] == 1
    return with_span


def _ordered(view: str, sql: str = "SELECT * FROM v") -> list[tuple[object, ...]]:
    """The view's rows as DuckDB returns them (order included), on a connection of the test's own."""
    with duckdb.connect() as con:
        con.execute(f"CREATE VIEW v AS {view}")
        return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def spanned(week_set: tuple[Path, GenerationSummary], tmp_path_factory: pytest.TempPathFactory) -> IngestCache:
    """An ingest cache over the week whose inner range's days have their span."""
    cache = IngestCache(tmp_path_factory.mktemp("spanned"), 1 << 30)
    _warm_with_span(week_set[0], cache)
    return cache


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM v",  # no ORDER BY: the entries' order
        "SELECT * FROM v LIMIT 7",
        "SELECT * FROM v WHERE start_time >= '2026-05-03T00:00:00Z' AND start_time < '2026-05-04T06:00:00Z'",
        "SELECT action, count(*), sum(bytes_from_initiator) FROM v GROUP BY ALL ORDER BY ALL",
    ],
)
def test_flow_flat_answers_are_the_same_with_the_span(
    week_set: tuple[Path, GenerationSummary], spanned: IngestCache, sql: str
) -> None:
    folder = week_set[0]
    with_span = _query(folder, spanned)
    assert with_span.stats["spans"] == 1 and with_span.flat is not None
    entries = with_span.flat.paths
    assert len(with_span.flat.files) == 1 < len(entries)  # days and hours of settled days: one span
    assert _ordered(with_span.views[FLOW_FLAT], sql) == _ordered(replace(with_span.flat, reads=()).flat_sql(), sql)


def test_flow_and_the_dashboard_window_are_the_same_with_the_span(
    week_set: tuple[Path, GenerationSummary], spanned: IngestCache
) -> None:
    with_span = _query(week_set[0], spanned, dashboard=True)
    assert with_span.stats["spans"] == 1 and with_span.flat is not None
    plain = replace(with_span.flat, reads=())
    assert _ordered(with_span.views[FLOW_FLAT]) == _ordered(plain.flat_sql())
    flow = sorted(map(repr, _ordered(with_span.views[FLOW])))  # one row per object, in no set order
    assert flow == sorted(map(repr, _ordered(flow_sql(plain.paths, plain.cutoff, plain.window))))


def test_the_span_keeps_the_entries_row_groups_of_records(
    week_set: tuple[Path, GenerationSummary], spanned: IngestCache
) -> None:
    relations = _query(week_set[0], spanned)
    assert relations.flat is not None
    (span,) = relations.flat.files
    records, markers = [], 0
    for path in relations.flat.paths:
        handle = pq.ParquetFile(path)
        for index in range(handle.num_row_groups):
            group = handle.read_row_group(index, columns=[RECORD_INDEX])
            records.append(int(pc.sum(pc.fill_null(pc.greater(group[RECORD_INDEX], DAMAGED), False)).as_py() or 0))
            markers += group.num_rows - records[-1]
    held = pq.ParquetFile(span).metadata
    assert markers  # the entries mark empty objects; the span leaves those rows out
    assert [held.row_group(i).num_rows for i in range(held.num_row_groups)] == [n for n in records if n]
    rec_column = held.schema.names.index(RECORD_INDEX)
    for index in range(held.num_row_groups):  # DuckDB sees that every row passes the record filter
        stats = held.row_group(index).column(rec_column).statistics
        assert stats.null_count == 0 and stats.min > DAMAGED
    assert held.row_group(0).column(held.schema.names.index("start_time")).statistics.has_min_max


def test_flow_reads_the_entries(week_set: tuple[Path, GenerationSummary], spanned: IngestCache) -> None:
    source = FlowLogSource(LocalStore(week_set[0]), "", spanned, f"{week_set[0]}/")
    relations = source.relations(SourceScan(_range(*INNER)), frozenset({FLOW}), CancelToken())
    assert relations.stats["spans"] == 0 and relations.flat is not None
    assert relations.flat.files == relations.flat.paths
    assert all(f"'{path}'" in relations.views[FLOW] for path in relations.flat.paths)


def test_a_late_object_gives_the_days_a_new_span(week_set: tuple[Path, GenerationSummary], tmp_path: Path) -> None:
    folder = Path(shutil.copytree(week_set[0], tmp_path / "src"))
    cache = IngestCache(tmp_path / "cache", 1 << 30)
    before = _warm_with_span(folder, cache)
    template = max(folder.rglob("day=04/hour=05/*/*.gz"), key=lambda path: path.stat().st_size)  # one with records
    shutil.copy2(template, template.with_name("99999999.gz"))  # arrives late in a settled day
    after = _query(folder, cache)
    assert after.stats["spans"] == 0 and after.stats["objects_read"] == 1  # the old span is not read
    assert len(_ordered(after.views[FLOW_FLAT])) > len(_ordered(before.views[FLOW_FLAT]))
    again = _warm_with_span(folder, cache)
    assert set(again.flat.files if again.flat else ()) != set(before.flat.files if before.flat else ())
    assert _ordered(again.views[FLOW_FLAT]) == _ordered(after.views[FLOW_FLAT])


def _records(path: Path) -> int:
    rec = pq.read_table(path, columns=[RECORD_INDEX])[RECORD_INDEX]
    return int(pc.sum(pc.fill_null(pc.greater(rec, DAMAGED), False)).as_py() or 0)


@pytest.fixture
def run_of_days(week_set: tuple[Path, GenerationSummary], tmp_path: Path) -> tuple[IngestCache, list[Path], Path]:
    """A cache with the inner range's entries, one of its runs, and where the run's span goes."""
    folder = week_set[0]
    cache = IngestCache(tmp_path / "cache", 1 << 30)
    relations = _query(folder, cache)
    assert relations.flat is not None
    paths = list(relations.flat.paths)
    run = paths[-5:-2]  # hours of the last day: any run of entries merges alike
    return cache, run, span_path(_spans_dir(folder, cache), run)


def test_a_damaged_span_or_a_temp_file_is_never_read(run_of_days: tuple[IngestCache, list[Path], Path]) -> None:
    cache, run, span = run_of_days
    span.parent.mkdir(parents=True)
    (span.parent / ".tmp-1-2.parquet").write_bytes(b"PAR1 half")  # a writer killed mid-write
    span.write_bytes(b"not a parquet file")
    spans = Spans(cache, span.parent, merger=_NoMerger())
    assert spans.reads(run, [(0, len(run))], merge=False) == (tuple(run), 0)
    assert not span.exists()  # the damaged span is gone, so it is merged anew
    assert merge(run, span, threading.Event())
    assert spans.reads(run, [(0, len(run))], merge=False) == ((span,), 1)


def test_a_stopped_merge_leaves_nothing(run_of_days: tuple[IngestCache, list[Path], Path]) -> None:
    _, run, span = run_of_days
    stop = threading.Event()
    stop.set()
    assert not merge(run, span, stop)
    assert list(span.parent.iterdir()) == [span.parent / ".lock"]


def test_spans_count_in_the_cache_and_are_evicted(run_of_days: tuple[IngestCache, list[Path], Path]) -> None:
    cache, run, span = run_of_days
    entries = cache.total_bytes()
    assert merge(run, span, threading.Event())
    assert cache.total_bytes() == entries + span.stat().st_size
    old = time.time() - 3600
    os.utime(span, (old, old))
    cache.max_bytes = entries
    assert cache.evict() == 1 and not span.exists()


def test_a_merge_deletes_the_spans_no_query_read_for_a_while(
    run_of_days: tuple[IngestCache, list[Path], Path],
) -> None:
    _, run, span = run_of_days
    idle, recent = span.with_name(f"{'1' * 64}.parquet"), span.with_name(f"{'2' * 64}.parquet")
    assert merge(run[:2], idle, threading.Event()) and merge(run[1:], recent, threading.Event())
    copies = [IngestCache.companion_path(path, "enriched-test") for path in (idle, recent)]
    for copy in copies:
        shutil.copyfile(run[0], copy)  # a span's enriched copy: older than the idle time, like its span
    old = time.time() - SPAN_IDLE_S - 1
    for path in (idle, *copies):
        os.utime(path, (old, old))
    assert merge(run, span, threading.Event())
    assert sorted(span.parent.glob("*.parquet")) == sorted([recent, copies[1], span])  # a copy goes with its span


def test_no_merge_starts_while_a_query_builds_entries(run_of_days: tuple[IngestCache, list[Path], Path]) -> None:
    """A dashboard still loading its cold panels keeps the cores: a warm panel's request waits for a later one."""
    _, run, span = run_of_days
    building, done = threading.Event(), threading.Event()

    def ingest_job(_: CancelToken) -> None:
        building.set()
        done.wait(30)

    ingest = threading.Thread(target=run_jobs, args=([ingest_job], CancelToken()))
    ingest.start()
    try:
        assert building.wait(30)
        merger = SpanMerger()
        assert not merger.request(run, span)
    finally:
        done.set()
        ingest.join()
    assert merger.request(run, span)
    merger.wait()
    assert span.exists()


def test_a_merge_waits_while_requests_are_answered(run_of_days: tuple[IngestCache, list[Path], Path]) -> None:
    """Asked for by a warm query, the merge starts once the process has answered no request for a moment: not
    beside that query nor its dashboard's other panels."""
    _, run, span = run_of_days
    merger = SpanMerger()
    with ACTIVITY.answering():
        assert merger.request(run, span)
        time.sleep(QUIET_S + 0.3)
        assert not span.exists() and list(span.parent.glob(".tmp-*")) == []  # not even begun
    merger.wait()
    assert span.exists()


def test_a_merge_pauses_between_row_groups_while_requests_are_answered(
    run_of_days: tuple[IngestCache, list[Path], Path],
) -> None:
    _, run, span = run_of_days
    with ACTIVITY.answering():
        merging = threading.Thread(target=merge, args=(run, span, threading.Event()))
        merging.start()
        time.sleep(QUIET_S + 0.3)
        assert merging.is_alive() and not span.exists()
    merging.join(30)
    assert span.exists() and _records(span) == sum(_records(path) for path in run)


def test_a_failed_merge_is_logged(
    run_of_days: tuple[IngestCache, list[Path], Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, run, _ = run_of_days
    blocked = tmp_path / "blocked"
    blocked.write_bytes(b"")  # a file where the spans folder should be: the merge cannot write
    merger = SpanMerger()
    assert merger.request(run, blocked / "span.parquet")
    merger.wait()
    assert "merging a span of settled days failed" in capsys.readouterr().err


def _merge_in_process(run: list[Path], span: Path) -> tuple[bool, int]:
    done = merge(run, span, threading.Event())
    return done, os.getpid()


def test_two_processes_merge_a_run_once(run_of_days: tuple[IngestCache, list[Path], Path]) -> None:
    _, run, span = run_of_days
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        results = list(pool.map(_merge_in_process, [run, run], [span, span]))
    assert [done for done, _ in results] == [True, True]
    assert sorted(p.name for p in span.parent.iterdir()) == sorted([".lock", span.name])
    assert pq.read_metadata(span).num_rows == sum(_records(path) for path in run)


class _NoMerger(SpanMerger):
    """A merger that never merges: the test decides when a span is written."""

    def request(self, entries: Sequence[Path], span: Path) -> bool:
        return False


def _answer(plugin: PluginProcess, folder: Path, sql: str) -> tuple[list[tuple[object, ...]], int]:
    """The answer's rows in order, and how many spans the source read for it."""
    context = datasource_context({"source": str(folder), "cacheTtlSeconds": 0}, uid="spans")
    query = data_query(
        "A", {"rawSql": sql, "format": "table"}, from_ms=_range(*INNER).from_ms, to_ms=_range(*INNER).to_ms
    )
    answer = plugin.query(query, context=context)["A"]
    assert answer.status == 200, answer.error
    (table,) = decode_frames(answer)
    rows = list(zip(*(column.to_pylist() for column in table.columns), strict=True))
    return rows, int(frame_meta(table)["custom"]["source"]["spans"])


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM FLOW_FLAT WHERE $__timeFilterColumn(start_time, string)",
        "SELECT action, count(*) AS n, sum(bytes_from_initiator) AS b FROM FLOW_FLAT "
        "WHERE $__timeFilterColumn(start_time, string) GROUP BY ALL ORDER BY ALL",
    ],
)
def test_the_plugin_answers_the_same_once_it_reads_the_span(
    plugin: PluginProcess, week_set: tuple[Path, GenerationSummary], sql: str
) -> None:
    folder = week_set[0]
    first, _ = _answer(plugin, folder, sql)
    deadline = time.monotonic() + 30
    while (found := _answer(plugin, folder, sql))[1] == 0 and time.monotonic() < deadline:
        time.sleep(0.2)  # the plugin merges in the background after a warm query
    assert found == (first, 1)


def test_flow_enriched_reads_the_span_with_its_rows_paired(
    plugin: PluginProcess, week_set: tuple[Path, GenerationSummary]
) -> None:
    """``FLOW_ENRICHED`` reads an enriched copy of the span (``engines/duckdb/sidefiles.py``), so enriched panels
    get the span's speed as plain ones do; each row's enriched columns are its own (the functions' answers)."""
    folder = week_set[0]
    sql = (
        "SELECT initiator_scope, ip_scope(initiator_ip) AS initiator_call, target_scope, ip_scope(target_ip) "
        "AS target_call, target_service, service_name(target_port, transport_protocol) AS service_call "
        "FROM FLOW_ENRICHED WHERE $__timeFilterColumn(start_time, string)"
    )
    deadline = time.monotonic() + 30
    while (found := _answer(plugin, folder, sql))[1] == 0 and time.monotonic() < deadline:
        time.sleep(0.2)  # the plugin merges in the background after a warm query
    rows, spans = found
    assert spans == 1 and rows
    assert all(row[0::2] == row[1::2] for row in rows)
    spans_dir = _spans_dir(folder, IngestCache(plugin.cache_dir / "ingest", 1 << 30))
    (span,) = [path for path in spans_dir.glob("*.parquet") if is_entry_name(path.name)]
    assert [path.name for path in IngestCache.companions_of(span)] != []
