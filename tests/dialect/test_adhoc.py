"""Dashboard ad-hoc filters: checked at the query model (tests/query/test_adhoc.py), applied by the
dialect layer as a filtered subquery of FLOW_FLAT, executed on DuckDB and compared with a
plain-Python filter of the records. Hostile keys and values must stay data: a value never becomes
SQL, a key never names anything but a flow-log column."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from cloudsql_cos_ts.dialect import translate
from cloudsql_cos_ts.dialect.adhoc import AdhocFilter
from cloudsql_cos_ts.query.adhoc import FILTER_COLUMNS
from tests.dialect.conftest import FLOWS, SCANNED, Flow


def _rows(duck: duckdb.DuckDBPyConnection, sql: str, *filters: AdhocFilter, dialect: str = "duckdb") -> list[Any]:
    translated = translate(sql, dialect=dialect, filters=filters, filter_columns=FILTER_COLUMNS).sql
    return duck.execute(translated).fetchall()


def _count(keep: Callable[[Flow], bool]) -> int:
    return sum(1 for flow in FLOWS if keep(flow))


COUNT_CASES = [
    pytest.param([AdhocFilter("target_ip", "=", SCANNED)], lambda f: f.target_ip == SCANNED, id="equals"),
    pytest.param([AdhocFilter("action", "!=", "accepted")], lambda f: f.action != "accepted", id="not-equals"),
    pytest.param([AdhocFilter("target_port", "=", "443")], lambda f: f.target_port == 443, id="integer-column"),
    pytest.param([AdhocFilter("target_port", ">", "1000")], lambda f: f.target_port > 1000, id="greater"),
    pytest.param([AdhocFilter("target_port", "<", "100")], lambda f: f.target_port < 100, id="less"),
    pytest.param([AdhocFilter("initiator_ip", "=~", r"^198\.51\.100\.[1-3]$")],
                 lambda f: re.match(r"^198\.51\.100\.[1-3]$", f.initiator_ip) is not None, id="regex"),
    pytest.param([AdhocFilter("initiator_ip", "!~", r"^198\.")], lambda f: not f.initiator_ip.startswith("198."),
                 id="not-regex"),
    pytest.param([AdhocFilter("direction", "=", "I"), AdhocFilter("action", "=", "rejected")],
                 lambda f: f.direction == "I" and f.action == "rejected", id="all-must-match"),
    pytest.param([AdhocFilter("vnic-id", "=", "vnic-1")], lambda f: f.network_interface_id == "vnic-1",
                 id="hyphenated-column"),
]


@pytest.mark.parametrize(("filters", "keep"), COUNT_CASES)
def test_filters_keep_the_matching_records(
    duck: duckdb.DuckDBPyConnection, filters: list[AdhocFilter], keep: Callable[[Flow], bool]
) -> None:
    expected = _count(keep)
    assert 0 < expected < len(FLOWS)
    assert _rows(duck, "SELECT count(*) FROM FLOW_FLAT", *filters) == [(expected,)]


HOSTILE_VALUES = [
    "x' OR '1'='1",
    "x\\' OR 1=1 --",
    "'; DROP TABLE FLOW_FLAT; --",
    '" OR ""="',
    "10.240.0.5' UNION SELECT count(*) FROM __SOURCE --",
    "$__source",
    "${target_ip}",
    "\\",
    "'",
]


@pytest.mark.parametrize("dialect", ["duckdb", "spark"])
@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_a_hostile_value_stays_one_string_literal(duck: duckdb.DuckDBPyConnection, value: str, dialect: str) -> None:
    filters = (AdhocFilter("target_ip", "=", value),)
    sql = translate(
        "SELECT count(*) FROM FLOW_FLAT", dialect=dialect, filters=filters, filter_columns=FILTER_COLUMNS
    ).sql
    # One statement whose only condition compares the column with the value as it was given.
    tree = sqlglot.parse_one(sql, read=dialect)
    [condition] = [node for node in tree.find_all(exp.EQ)]
    assert condition.this.name == "target_ip"
    assert isinstance(condition.expression, exp.Literal) and condition.expression.this == value
    if dialect == "duckdb":
        assert _rows(duck, "SELECT count(*) FROM FLOW_FLAT", *filters) == [(0,)]
        assert duck.execute("SELECT count(*) FROM FLOW_FLAT").fetchone() == (len(FLOWS),)


def test_the_statement_names_the_filtered_relation_as_before(duck: duckdb.DuckDBPyConnection) -> None:
    rows = _rows(
        duck,
        "SELECT f.action, count(*) FROM FLOW_FLAT f WHERE f.direction = 'I' GROUP BY f.action ORDER BY 1",
        AdhocFilter("target_ip", "=", SCANNED),
    )
    kept = [f.action for f in FLOWS if f.direction == "I" and f.target_ip == SCANNED]
    assert rows == sorted((action, kept.count(action)) for action in set(kept))


@pytest.mark.parametrize(
    ("sql", "filtered"),
    [
        ("SELECT * FROM FLOW_FLAT", True),
        ("SELECT * FROM flow_flat", True),
        ("SELECT * FROM __SOURCE", False),  # other formats: no flow-log columns known
        ("WITH FLOW_FLAT AS (SELECT 1 AS a) SELECT * FROM FLOW_FLAT", False),
        ("SELECT * FROM DESCRIBE(FLOW_FLAT)", False),
    ],
)
def test_only_flow_log_scans_are_filtered(sql: str, filtered: bool) -> None:
    out = translate(sql, dialect="duckdb", filters=(AdhocFilter("action", "=", "zzz"),), filter_columns=FILTER_COLUMNS)
    assert ("'zzz'" in out.sql) is filtered


def test_without_filters_the_sql_is_unchanged() -> None:
    sql = "SELECT count(*) FROM FLOW_FLAT"
    unfiltered = translate(sql, dialect="duckdb")
    assert translate(sql, dialect="duckdb", filters=(), filter_columns=FILTER_COLUMNS) == unfiltered
