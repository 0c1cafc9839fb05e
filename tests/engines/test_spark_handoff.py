"""A ``$__source_prev`` input kept inside Spark (``engines/spark/handoff.py``): the bookkeeping on its own, then
on the real Spark Connect server, where B reads A's checkpoint only in A's datasource and gets A's rows, and
where Spark failing to make or read a checkpoint gives the same answers through the rows sent back."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import nullcontext
from typing import Any

import pyarrow as pa
import pytest

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.dialect import translate
from cloudsql_cos_ts.engines.base import Engine, ExecutionRequest, ExecutionResult
from cloudsql_cos_ts.engines.spark import handoff
from cloudsql_cos_ts.engines.spark.handoff import Handoff
from cloudsql_cos_ts.errors import PluginError
from cloudsql_cos_ts.macros import prev_relation_name
from tests.engines.test_spark_engine import OBS, RANGE, spark_engine

PREV = prev_relation_name("A")
A_SQL = "SELECT k, t, v FROM OBS"
B_SQL = f"SELECT k, count(*) AS n, sum(v) AS s, min(t) AS first FROM {PREV} GROUP BY k ORDER BY k"
KEPT = "inputs_kept_in_spark"
CHECKPOINT_FAILED = "checkpoint_failed"
KEPT_FAILED = "kept_inputs_failed"


def fake(name: str) -> Any:
    """A stand-in session or checkpoint: the handoff only compares and holds them."""
    return type(name, (), {})()


def test_handoff_gives_a_checkpoint_once_to_its_table_in_its_session() -> None:
    handoff, table, session, frame = Handoff(), pa.table({"x": [1]}), fake("S"), fake("F")
    handoff.keep(table, session, frame)
    assert handoff.holds([table]) == {session}
    assert handoff.take(pa.table({"x": [1]}), session) is None  # equal rows, another table: not it
    assert handoff.take(table, fake("S")) is None  # another session cannot read it
    assert handoff.take(table, session) is frame
    assert handoff.take(table, session) is None
    assert handoff.holds([table]) == set()


def test_handoff_keeps_few_and_forgets_tables_that_ended() -> None:
    handoff, session = Handoff(max_kept=2), fake("S")
    tables = [pa.table({"x": [i]}) for i in range(3)]
    for table in tables:
        handoff.keep(table, session, fake("F"))
    assert handoff.take(tables[0], session) is None  # the oldest left when the third came
    gone = pa.table({"x": [9]})
    handoff.keep(gone, session, fake("F"))
    del gone
    gc.collect()
    handoff.keep(pa.table({"x": [10]}), session, fake("F"))  # sweeps the ended table's entry first
    assert handoff.take(tables[2], session) is not None


@pytest.fixture(scope="module")
def engines(spark_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, Engine]]:
    """Two datasources on the same Spark server."""
    first = spark_engine(spark_url, tmp_path_factory.mktemp("handoff-1"))
    second = spark_engine(spark_url, tmp_path_factory.mktemp("handoff-2"))
    yield first, second
    first.close()
    second.close()


def execute(
    engine: Engine, sql: str, *, chained: bool = False, row_limit: int = 1000, **tables: pa.Table
) -> ExecutionResult:
    translation = translate(sql, dialect=engine.dialect)
    return engine.execute(
        ExecutionRequest(
            sql=translation.sql,
            time_range=RANGE,
            cancel=CancelToken(),
            row_limit=row_limit,
            referenced=translation.referenced,
            tables={"OBS": OBS, **tables},
            chained=chained,
        )
    )


def copy(table: pa.Table) -> pa.Table:
    return pa.Table.from_batches(table.to_batches(), schema=table.schema)


def test_a_datasource_whose_session_is_not_the_active_one_keeps_its_result(engines: tuple[Engine, Engine]) -> None:
    """W6's failure: pyspark bound A's checkpoint to the thread's active session (the first datasource's), so
    Spark found no such DataFrame when the second datasource read it back."""
    first, second = engines
    execute(first, "SELECT 1 AS x")  # the first datasource's session is the thread's active one
    a = execute(second, A_SQL, chained=True)
    b = execute(second, B_SQL, **{PREV: a.table})
    assert CHECKPOINT_FAILED not in a.stats and b.stats.get(KEPT) == 1
    assert b.table.equals(execute(second, B_SQL, **{PREV: copy(a.table)}).table)


def test_a_checkpoint_spark_cannot_read_gives_the_rows_sent_back(
    engines: tuple[Engine, Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = engines
    execute(first, "SELECT 1 AS x")
    plain = execute(second, A_SQL)
    monkeypatch.setattr(handoff, "_active", lambda _session: nullcontext())  # the checkpoint bound as before the fix
    a = execute(second, A_SQL, chained=True)
    b = execute(second, B_SQL, **{PREV: a.table})
    assert a.stats.get(CHECKPOINT_FAILED) == 1 and a.table.equals(plain.table)
    assert KEPT not in b.stats
    assert b.table.equals(execute(second, B_SQL, **{PREV: copy(a.table)}).table)


def test_a_kept_input_spark_cannot_read_is_sent_instead(
    engines: tuple[Engine, Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, _ = engines
    a = execute(first, A_SQL, chained=True)
    take = Handoff.take

    def unreadable(self: Handoff, table: pa.Table, session: Any) -> Any:
        """The real checkpoint given out (and dropped), a relation Spark cannot resolve in its place."""
        return None if take(self, table, session) is None else session.table("checkpoint_gone")

    monkeypatch.setattr(Handoff, "take", unreadable)
    b = execute(first, B_SQL, **{PREV: a.table})
    assert b.stats.get(KEPT_FAILED) == 1 and KEPT not in b.stats
    assert b.table.num_rows > 0
    assert b.table.equals(execute(first, B_SQL, **{PREV: copy(a.table)}).table)


def test_b_reads_a_inside_spark_with_the_rows_the_upload_gives(engines: tuple[Engine, Engine]) -> None:
    first, _ = engines
    a = execute(first, A_SQL, chained=True)
    assert a.table.num_rows == OBS.num_rows
    kept = execute(first, B_SQL, **{PREV: a.table})
    uploaded = execute(first, B_SQL, **{PREV: copy(a.table)})
    again = execute(first, B_SQL, **{PREV: a.table})  # a checkpoint is read once, then the table is sent
    assert kept.stats.get(KEPT) == 1
    assert KEPT not in uploaded.stats and KEPT not in again.stats
    assert kept.table.num_rows > 0
    assert kept.table.equals(uploaded.table) and again.table.equals(uploaded.table)


def test_another_datasource_never_reads_the_checkpoint(engines: tuple[Engine, Engine]) -> None:
    first, second = engines
    a = execute(first, A_SQL, chained=True)
    with pytest.raises(PluginError):  # the checkpoint has no name a query could use
        execute(second, f"SELECT * FROM {PREV}")
    other = execute(second, B_SQL, **{PREV: a.table})  # even handed the very table: its own upload
    assert KEPT not in other.stats
    kept = execute(first, B_SQL, **{PREV: a.table})
    assert kept.stats.get(KEPT) == 1 and kept.table.equals(other.table)


def test_a_cut_result_is_sent_as_cut(engines: tuple[Engine, Engine]) -> None:
    first, _ = engines
    a = execute(first, A_SQL, chained=True, row_limit=3)
    assert a.truncated and a.table.num_rows == 3
    b = execute(first, f"SELECT count(*) AS n FROM {PREV}", **{PREV: a.table})
    assert KEPT not in b.stats
    assert b.table.column("n").to_pylist() == [3]


def test_b_reads_the_rows_a_collected_not_a_second_run_of_a(engines: tuple[Engine, Engine]) -> None:
    """The checkpoint is filled by the job that collects A's rows: a value Spark computes anew on every run
    (the JVM's clock, which the dialect keeps from panels, so the request is built here) reaches B as A got it."""
    first, _ = engines
    clock = "SELECT k, reflect('java.lang.System', 'nanoTime') AS r FROM OBS"
    a = first.execute(
        ExecutionRequest(
            sql=clock,
            time_range=RANGE,
            cancel=CancelToken(),
            row_limit=1000,
            referenced=frozenset({"OBS"}),
            tables={"OBS": OBS},
            chained=True,
        )
    )
    b = execute(first, f"SELECT min(r) AS lo, max(r) AS hi FROM {PREV}", **{PREV: a.table})
    assert b.stats.get(KEPT) == 1
    seen = sorted(int(value) for value in a.table.column("r").to_pylist())
    assert [(int(row["lo"]), int(row["hi"])) for row in b.table.to_pylist()] == [(seen[0], seen[-1])]
