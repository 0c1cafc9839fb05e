"""translate(): IBM syntax, DESCRIBE, referenced relations, external references, dialect choice."""

from __future__ import annotations

import duckdb
import pytest

from cloudsql_cos_ts.dialect import ExternalRef, translate
from cloudsql_cos_ts.dialect.durations import duration_ms
from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.resources.reference import macro_reference
from tests.dialect.conftest import context, run


def test_cos_references_become_registered_relations() -> None:
    sql = (
        "SELECT a.x FROM cos://us-south/bucket/flows/ STORED AS JSON a "
        "JOIN cos://eu-de/b2/p STORED AS parquet b ON a.x = b.x "
        "JOIN cos://us-south/bucket/flows/ stored as json c ON c.x = a.x "
        "WHERE a.s = 'cos://not/a/ref STORED AS CSV'"
    )
    translation = translate(sql, dialect="duckdb")
    assert translation.external == (
        ExternalRef("cos://us-south/bucket/flows/", "json", "__EXTERNAL_1"),
        ExternalRef("cos://eu-de/b2/p", "parquet", "__EXTERNAL_2"),
    )
    assert translation.sql == (
        "SELECT a.x FROM __EXTERNAL_1 AS a JOIN __EXTERNAL_2 AS b ON a.x = b.x "
        "JOIN __EXTERNAL_1 AS c ON c.x = a.x WHERE a.s = 'cos://not/a/ref STORED AS CSV'"
    )
    assert translation.referenced == frozenset({"__EXTERNAL_1", "__EXTERNAL_2"})


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        (
            "SELECT * FROM cos://us-south/b/p",
            "cos://us-south/b/p at line 1, column 15: add STORED AS JSON|PARQUET|CSV|ORC|AVRO after the URL",
        ),
        ("SELECT * FROM cos://us-south/b/p STORED AS TEXT", "add STORED AS JSON|PARQUET|CSV|ORC|AVRO"),
        (
            "SELECT * FROM cos://bucket STORED AS CSV",
            "cos://bucket at line 1, column 15 is not a cos://<region>/<bucket>/<prefix> URL",
        ),
    ],
)
def test_cos_reference_errors(sql: str, message: str) -> None:
    with pytest.raises(BadRequest, match=message.replace("(", r"\(").replace("|", r"\|")):
        translate(sql, dialect="duckdb")


def test_describe_as_table_has_ibm_columns(duck: duckdb.DuckDBPyConnection) -> None:
    rows = duck.execute(
        translate("SELECT name, type, nullable FROM DESCRIBE(FLOW_FLAT) WHERE name LIKE '%time'", dialect="duckdb").sql
    ).fetchall()
    assert rows == [
        ("start_time", "VARCHAR", True),
        ("capture_start_time", "TIMESTAMP", True),
        ("connection_start_time", "TIMESTAMP", True),
    ]
    statement = duck.execute(translate("DESCRIBE FLOW_FLAT", dialect="duckdb").sql)
    assert [column[0] for column in statement.description] == ["name", "type", "nullable"]
    assert duck.execute(translate("DESCRIBE(FLOW_FLAT)", dialect="duckdb").sql).fetchone() == (
        "start_time",
        "VARCHAR",
        True,
    )


def test_describe_of_a_cos_reference() -> None:
    translation = translate("SELECT name FROM DESCRIBE(cos://us-south/b/flows/ STORED AS JSON)", dialect="duckdb")
    assert "(DESCRIBE __EXTERNAL_1)" in translation.sql
    assert translation.referenced == frozenset({"__EXTERNAL_1"})


def test_spark_target() -> None:
    assert translate("DESCRIBE FLOW_FLAT", dialect="spark").sql == "DESCRIBE FLOW_FLAT"
    # On Spark the engine builds __DESCRIBE_<name> from the relation's schema (tests/engines covers it).
    described = translate("SELECT * FROM DESCRIBE(FLOW_FLAT)", dialect="spark")
    assert described.sql == "SELECT * FROM (SELECT name, type, nullable FROM __DESCRIBE_FLOW_FLAT)"
    assert described.referenced == frozenset({"__DESCRIBE_FLOW_FLAT"})


def test_unknown_dialect() -> None:
    with pytest.raises(BadRequest, match="engine dialect 'postgres' is not supported; supported: duckdb, spark"):
        translate("SELECT 1", dialect="postgres")


def test_referenced_excludes_ctes_and_is_upper_case() -> None:
    sql = "WITH flows AS (SELECT * FROM flow_flat) SELECT * FROM flows JOIN __PREV_A p ON true JOIN Flow f ON true"
    assert translate(sql, dialect="duckdb").referenced == frozenset({"FLOW_FLAT", "__PREV_A", "FLOW"})


def test_ibm_keywords_inside_strings_and_comments_are_text() -> None:
    sql = "SELECT 'USING TIME_SERIES_FORMAT(x) IN ts', \"DESCRIBE(x)\" -- TS_SEGMENT_BY_TIME(ts, hour, hour)\nFROM t"
    assert translate(sql, dialect="duckdb").sql == (
        "SELECT 'USING TIME_SERIES_FORMAT(x) IN ts', 'DESCRIBE(x)' /* TS_SEGMENT_BY_TIME(ts, hour, hour) */ FROM t"
    )


def test_join_using_is_not_a_time_series_clause(duck: duckdb.DuckDBPyConnection) -> None:
    sql = "SELECT count(*) FROM FLOW_FLAT a JOIN FLOW_FLAT b USING (start_time) WHERE a.action = 'x'"
    assert duck.execute(translate(sql, dialect="duckdb").sql).fetchone() == (0,)


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("3600000", 3_600_000),
        ("hour", 3_600_000),
        ("per_hour", 3_600_000),
        ("DAY", 86_400_000),
        ("per_day", 86_400_000),
        ("week", 604_800_000),
        ("per_week", 604_800_000),
        ("5minute", 300_000),
        ("15minute", 900_000),
        ("2hour", 7_200_000),
        ("3day", 259_200_000),
        ("PT15M", 900_000),
        ("PT1H", 3_600_000),
        ("pt30s", 30_000),
        ("P1D", 86_400_000),
        ("P1W", 604_800_000),
        ("P1DT12H", 129_600_000),
        ("'PT15M'", 900_000),
        ("minute", None),
        ("PT", None),
        ("P", None),
        ("5 minutes", None),
        ("x", None),
        ("", None),
    ],
)
def test_durations(text: str, ms: int | None) -> None:
    assert duration_ms(text) == ms


def test_ibm_unit_rewriting_matches_the_original() -> None:
    sql = "SELECT TS_EXPLODE(TS_SEG_SUM(TS_SEGMENT_BY_TIME(ts, PT15M, 5minute))) AS (t, v) FROM s"
    lowered = translate(sql, dialect="spark").sql
    assert "/ 300000" in lowered and "SEQUENCE(0, 2)" in lowered  # 15-minute windows: three 5-minute steps


@pytest.mark.parametrize("entry", macro_reference()["macros"], ids=lambda e: e["name"])
def test_every_macro_example_runs(duck: duckdb.DuckDBPyConnection, entry: dict[str, str]) -> None:
    duck.execute("CREATE TEMP VIEW __PREV_A AS SELECT * FROM FLOW_FLAT")
    try:
        run(duck, entry["example"], context(time_column="start_time"))
    finally:
        duck.execute("DROP VIEW __PREV_A")


@pytest.mark.parametrize("entry", macro_reference()["functions"], ids=lambda e: e["name"])
def test_every_function_example_runs(duck: duckdb.DuckDBPyConnection, entry: dict[str, str]) -> None:
    # FLOW_FLAT's columns the examples use beyond the fixture's: byte counts, a protocol, public initiators
    duck.execute(
        "CREATE TEMP TABLE IF NOT EXISTS bytes_flows AS SELECT * REPLACE (CASE WHEN target_port = 443 "
        "THEN '9.9.9.9' ELSE initiator_ip END AS initiator_ip), target_port * 100000.0 AS bytes_from_initiator, "
        "2.0::DOUBLE AS bytes_from_receiver, target_port * 3.0 + 1 AS bytes_from_target, 6 AS transport_protocol "
        "FROM FLOW_FLAT"
    )
    sql = translate(entry["example"].replace("FROM FLOW_FLAT", "FROM bytes_flows"), dialect="duckdb").sql
    assert duck.execute(sql).fetchall()


@pytest.mark.parametrize(
    ("sql", "schema_only"),
    [
        ("SELECT * FROM DESCRIBE(FLOW_FLAT)", {"FLOW_FLAT"}),
        ("SELECT name FROM DESCRIBE(FLOW_FLAT) WHERE name IN (SELECT action FROM FLOW_FLAT)", set()),
        ("SELECT count(*) FROM FLOW_FLAT", set()),
    ],
)
def test_relations_only_described_need_no_rows(sql: str, schema_only: set[str]) -> None:
    translation = translate(sql, dialect="duckdb")
    assert translation.schema_only == frozenset(schema_only)
    assert translation.schema_only <= translation.referenced
