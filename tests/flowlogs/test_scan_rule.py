"""Pruning never changes an answer: each query's pruned answer equals its answer over the whole source.

Over generated objects and the hand-made real-format ones, every query below runs twice on the real
DuckDB engine: once with the scan its own time predicates choose (``flowlogs/scan.py``), once with
pruning off (every object of the source read). The answers must be equal, and the pruned run must
have listed fewer hours, or the comparison proves nothing. A query without a time predicate gets
the dashboard range exactly: the records of the objects whose capture window overlaps it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.dialect import translate
from cloudsql_cos_ts.engines.base import ExecutionRequest, ExecutionResult
from cloudsql_cos_ts.engines.duckdb.engine import DuckDBEngine
from cloudsql_cos_ts.engines.duckdb.source import build_duckdb_source
from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.flowlogs.generator import generate
from cloudsql_cos_ts.flowlogs.scan import SourceScan, choose_scan
from cloudsql_cos_ts.flowlogs.schema import FLOW_RELATIONS
from cloudsql_cos_ts.settings.budget import Budget, Budgets, Cap
from cloudsql_cos_ts.settings.datasource import DatasourceSettings, UnfilteredQueries
from cloudsql_cos_ts.settings.locations import LocalLocation
from cloudsql_cos_ts.settings.plugin import PluginSettings
from cloudsql_cos_ts.timerange import EARLIEST_MS, LATEST_MS, TimeRange
from tests.real_objects.cases import write

EVERYTHING = SourceScan(TimeRange(EARLIEST_MS, LATEST_MS))
GENERATED_START = datetime(2020, 7, 23, 21, 10, tzinfo=UTC)
GENERATED_END = datetime(2020, 7, 25, 2, 50, tzinfo=UTC)
FAR_AWAY = TimeRange(0, 3_600_000)  # a dashboard range with no data: the queries' own predicates decide


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _ts(text: str) -> str:
    """A time literal the way the time macros write one."""
    return f"to_timestamp('{text}')"


# (id, SQL) over the generated day 2020-07-24 and its neighbours.
GENERATED_QUERIES = [
    ("start_time macro form", "SELECT count(*), sum(bytes_from_initiator) FROM FLOW_FLAT WHERE "
     f"to_timestamp(start_time) >= {_ts('2020-07-24T03:00:00Z')} AND to_timestamp(start_time) <= "
     f"{_ts('2020-07-24T03:20:00Z')}"),
    ("end_time between", "SELECT target_ip, count(*) AS n FROM FLOW_FLAT WHERE to_timestamp(end_time) BETWEEN "
     f"{_ts('2020-07-24T09:58:00Z')} AND {_ts('2020-07-24T10:02:00Z')} GROUP BY target_ip ORDER BY target_ip"),
    ("IBM's documented day", "SELECT count(*), sum(number_of_flow_logs) FROM FLOW "
     "WHERE CAST(capture_start_time AS date) = DATE('2020-07-24')"),
    ("IBM's partition columns", "SELECT count(*) FROM FLOW_FLAT WHERE year = 2020 AND month = 7 "
     "AND day = day(DATE('2020-07-24')) AND hour = 5"),
    ("capture window, typed", "SELECT count(*) FROM FLOW WHERE capture_end_time >= TIMESTAMP '2020-07-24 12:03:00' "
     "AND capture_start_time < TIMESTAMP '2020-07-24 12:07:00'"),
    ("text comparison, early side", "SELECT count(*) FROM FLOW_FLAT WHERE start_time >= '2020-07-25T01:00:00Z'"),
    ("connection start bounds the early side only", "SELECT count(*), min(connection_start_time) FROM FLOW_FLAT "
     "WHERE connection_start_time >= TIMESTAMP '2020-07-25 00:30:00'"),
    ("open early side", "SELECT count(*) FROM FLOW_FLAT WHERE to_timestamp(start_time) < "
     f"{_ts('2020-07-23T22:00:00Z')}"),
    ("two reads, two ranges", "WITH early AS (SELECT initiator_ip FROM FLOW_FLAT WHERE to_timestamp(start_time) "
     f"BETWEEN {_ts('2020-07-24T01:00:00Z')} AND {_ts('2020-07-24T01:10:00Z')}) SELECT count(*) FROM early "
     "JOIN FLOW_FLAT late ON late.initiator_ip = early.initiator_ip WHERE to_timestamp(late.start_time) BETWEEN "
     f"{_ts('2020-07-24T20:00:00Z')} AND {_ts('2020-07-24T20:10:00Z')}"),
    ("a bound beside an OR", "SELECT count(*) FROM FLOW_FLAT WHERE (action = 'rejected' OR target_port = 443) "
     f"AND to_timestamp(start_time) >= {_ts('2020-07-24T23:55:00Z')}"),
]

# (id, SQL) over the hand-made objects of 2020-07-01 20:26:43 to 21:06:43.
REAL_QUERIES = [
    ("record straddling the hour", "SELECT count(*) FROM FLOW_FLAT WHERE to_timestamp(start_time) >= "
     f"{_ts('2020-07-01T21:00:00Z')}"),
    ("before the hour", "SELECT target_port FROM FLOW_FLAT WHERE to_timestamp(start_time) <= "
     f"{_ts('2020-07-01T20:59:59Z')} AND to_timestamp(start_time) >= {_ts('2020-07-01T20:58:00Z')} "
     "ORDER BY target_port"),
    ("IBM's documented day", "SELECT count(*) FROM FLOW WHERE CAST(capture_start_time AS date) = DATE('2020-07-01')"),
    ("hour 21 folder", "SELECT count(*) FROM FLOW_FLAT WHERE year = 2020 AND month = 7 AND day = 1 AND hour = 21"),
    ("long connection by its start", "SELECT count(*) FROM FLOW_FLAT "
     "WHERE connection_start_time >= TIMESTAMP '2020-06-29 00:00:00'"),
]


@dataclass
class Source:
    engine: DuckDBEngine

    def run(self, sql: str, scan: SourceScan) -> ExecutionResult:
        translation = translate(sql, dialect="duckdb")
        request = ExecutionRequest(
            sql=translation.sql, time_range=scan.time_range, cancel=CancelToken(None), row_limit=100_000,
            referenced=translation.referenced, scan=scan,
        )
        return self.engine.execute(request)

    def rows(self, sql: str, scan: SourceScan) -> list[tuple[Any, ...]]:
        table = self.run(sql, scan).table
        return list(zip(*(table.column(i).to_pylist() for i in range(table.num_columns)), strict=True))

    def chosen(self, sql: str, dashboard: TimeRange, *, unfiltered: UnfilteredQueries = "dashboardRange") -> SourceScan:
        translation = translate(sql, dialect="duckdb")
        reads = sorted(translation.referenced & FLOW_RELATIONS)
        return choose_scan(translation.time_bounds, reads, dashboard, unfiltered=unfiltered,
                           budgets=Budgets(scan_limit_objects=10**9))


def _open(folder: Path, cache: Path) -> Iterator[Source]:
    settings = DatasourceSettings(uid="s", name="s", last_updated_ms=0, source=LocalLocation(folder))
    source = build_duckdb_source(settings, PluginSettings(cache_dir=cache))
    engine = DuckDBEngine(threads=1, memory_limit="512MB", query_timeout_s=120, temp_directory=str(cache),
                          source=source)
    yield Source(engine)
    engine.close()


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Source]:
    root = tmp_path_factory.mktemp("scan-generated")
    generate(root / "bucket", vnics=2, start=GENERATED_START, end=GENERATED_END, records_per_object=6)
    yield from _open(root / "bucket", root / "cache")


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Source]:
    root = tmp_path_factory.mktemp("scan-real")
    write(root / "bucket")
    yield from _open(root / "bucket", root / "cache")


def _same_answer_and_less_read(source: Source, sql: str) -> None:
    scan = source.chosen(sql, FAR_AWAY)
    assert not scan.dashboard_applied, "the query's own predicates must choose the objects"
    pruned = source.run(sql, scan)
    whole = source.run(sql, EVERYTHING)
    assert pruned.table.to_pylist() == whole.table.to_pylist()
    assert whole.table.num_rows and any(v not in (0, None) for v in whole.table.to_pylist()[0].values())
    assert pruned.stats["hours_listed"] < whole.stats["hours_listed"] or pruned.stats["objects_listed"] < (
        whole.stats["objects_listed"]
    )


@pytest.mark.parametrize(("name", "sql"), GENERATED_QUERIES, ids=[name for name, _ in GENERATED_QUERIES])
def test_generated_pruned_answer_is_the_whole_source_answer(generated: Source, name: str, sql: str) -> None:
    _same_answer_and_less_read(generated, sql)


@pytest.mark.parametrize(("name", "sql"), REAL_QUERIES, ids=[name for name, _ in REAL_QUERIES])
def test_real_objects_pruned_answer_is_the_whole_source_answer(real: Source, name: str, sql: str) -> None:
    scan = real.chosen(sql, FAR_AWAY)
    assert not scan.dashboard_applied
    assert real.rows(sql, scan) == real.rows(sql, EVERYTHING) != [(0,)]


WINDOWS = [  # dashboard ranges over the hand-made objects, none on an hour
    ("20:00-20:30", "2020-07-01T20:00:00Z", "2020-07-01T20:30:00Z"),
    ("20:34-20:37", "2020-07-01T20:34:00Z", "2020-07-01T20:37:00Z"),
    ("20:57-21:00", "2020-07-01T20:57:00Z", "2020-07-01T21:00:00Z"),
    ("21:02-22:30", "2020-07-01T21:02:00Z", "2020-07-01T22:30:00Z"),
]


@pytest.mark.parametrize(("name", "start", "end"), WINDOWS, ids=[w[0] for w in WINDOWS])
def test_no_time_predicate_reads_the_dashboard_range_exactly(real: Source, name: str, start: str, end: str) -> None:
    dashboard = TimeRange(_ms(datetime.fromisoformat(start)), _ms(datetime.fromisoformat(end)))
    sql = "SELECT count(*) FROM FLOW_FLAT"
    scan = real.chosen(sql, dashboard)
    assert scan == SourceScan(dashboard, dashboard_applied=True)
    overlap = (
        f"SELECT count(*) FROM FLOW_FLAT WHERE capture_start_time <= {_ts(end)} "
        f"AND to_timestamp(capture_end_time) >= {_ts(start)}"
    )
    assert real.rows(sql, scan) == real.rows(overlap, EVERYTHING)
    assert scan.notice() is not None and "dashboard range was applied" in scan.notice()  # type: ignore[operator]


def test_objects_cut_to_the_range_keep_every_record_of_an_overlapping_window(real: Source) -> None:
    """20:57-21:00 overlaps two windows (20:56:43-21:01:43): their records outside it stay, no others."""
    scan = real.chosen("SELECT 1 FROM FLOW", TimeRange(_ms(datetime(2020, 7, 1, 20, 57, tzinfo=UTC)),
                                                     _ms(datetime(2020, 7, 1, 21, tzinfo=UTC))))
    rows = real.rows("SELECT start_time FROM FLOW_FLAT ORDER BY start_time", scan)
    assert rows == [("2020-07-01T20:56:43Z",), ("2020-07-01T20:58:12Z",), ("2020-07-01T20:59:50Z",),
                    ("2020-07-01T21:00:30Z",)]


def test_whole_source_mode_reads_everything_up_to_the_scan_limit(real: Source) -> None:
    sql = "SELECT count(*) FROM FLOW_FLAT"
    scan = real.chosen(sql, FAR_AWAY, unfiltered="wholeSource")
    assert scan.time_range == EVERYTHING.time_range and not scan.dashboard_applied
    assert real.rows(sql, scan) == real.rows(sql, EVERYTHING)
    limited = SourceScan(EVERYTHING.time_range, budget=Budget(objects=Cap(3, "scanLimitObjects")))
    with pytest.raises(BadRequest, match=r"would read 1\d flow-log objects \(\d+\.\d MB\), more than .* scan limit "
                                         r"of 3 \(setting scanLimitObjects\).*add a time filter"):
        real.run(sql, limited)


def test_a_one_sided_bound_is_limited_but_a_two_sided_one_is_not(real: Source) -> None:
    one_sided = real.chosen(f"SELECT 1 FROM FLOW_FLAT WHERE to_timestamp(start_time) < {_ts('2020-07-02T00:00:00Z')}",
                            FAR_AWAY)
    assert one_sided.time_range.from_ms == EARLIEST_MS and one_sided.budget.objects == Cap(10**9, "scanLimitObjects")
    day = real.chosen("SELECT 1 FROM FLOW WHERE CAST(capture_start_time AS date) = DATE('2020-07-01')", FAR_AWAY)
    start = datetime(2020, 7, 1, tzinfo=UTC)
    assert day == SourceScan(TimeRange(_ms(start), _ms(start + timedelta(days=1)) - 1))
