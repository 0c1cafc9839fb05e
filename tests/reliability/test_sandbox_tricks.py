"""Escape attempts through macros, Grafana-substituted variables and chained queries (real process).

Grafana substitutes ``${var}`` in the query text before the plugin sees it, so a variable value
holding quotes, semicolons or comment openers arrives as SQL. Whatever the value closes or opens,
a second statement must be refused, and a value that stays inside its string must stay a value.
The plain escape list lives in tests/sandbox; these are the tricks that go through the query
language.
"""

from __future__ import annotations

import pytest

from cloudsql_cos_ts.proto import backend_pb2 as pb
from tests.plugin_host import PluginProcess, data_query, decode_frames


def substitute(template: str, value: str) -> str:
    """Grafana's plain ``${var}`` interpolation: the value pasted in as it is."""
    return template.replace("${var}", value)


STACKED = [
    substitute("SELECT 1 AS x WHERE 'a' = '${var}'", "x'; DROP TABLE FLOW; --"),
    substitute("SELECT 1 AS x WHERE 'a' = '${var}'", "x' /* '; ATTACH ':memory:' AS y; -- */"),
    substitute("SELECT 1 AS x WHERE 'a' = '${var}'", "x'\n; COPY (SELECT 1) TO '/tmp/cloudsql-escape.csv'; --"),
    substitute("SELECT 1 AS x WHERE 'a' IN (${var})", "'a','b'); INSTALL httpfs; SELECT ('1"),
    substitute('SELECT 1 AS x WHERE "a" = "${var}"', 'x"; LOAD httpfs; --'),
    substitute("SELECT 1 AS `${var}`", "x`; SET enable_external_access = true; --"),
    substitute("SELECT 1 AS x WHERE 1 = ${var}", "1; PRAGMA database_list"),
    "SELECT range FROM range(3) WHERE $__timeFilterColumn(range); EXPORT DATABASE '/tmp/x' --)",
    "SELECT $__timeGroup(range, 1m); CREATE TABLE t AS SELECT 1; --) FROM range(2)",
    "SELECT 1 AS x WHERE $__unixEpochFilter(x) ; CALL pragma_version()",
    "SELECT 1 AS x; SELECT * FROM read_csv('/etc/passwd')",
]
NOT_ALLOWED = [
    substitute("SELECT * FROM range(1) WHERE 'a' = '${var}'", "x' OR getenv('HOME') = '"),
    substitute("SELECT * FROM ${var}", "read_text('/etc/hostname')"),
    substitute("SELECT 1 AS x WHERE 'a' = '${var}'", "x' UNION SELECT * FROM duckdb_settings() --"),
    "SELECT * FROM $__source_prev(A) UNION ALL SELECT * FROM read_parquet('/etc/passwd')",
    "WITH p AS (SELECT * FROM $__source_prev(A)) SELECT * FROM p, glob('/etc/*')",
]


def _answers(plugin: PluginProcess, *queries: pb.DataQuery) -> dict[str, pb.DataResponse]:
    return plugin.query(*queries)


@pytest.mark.parametrize("sql", STACKED)
def test_statement_stacking_is_refused(plugin: PluginProcess, sql: str) -> None:
    answer = _answers(plugin, data_query("A", {"rawSql": "SELECT 1 AS v"}), data_query("B", {"rawSql": sql}))["B"]
    assert answer.status == 400 and answer.error and not answer.frames, (sql, answer.status, answer.error)


@pytest.mark.parametrize("sql", NOT_ALLOWED)
def test_functions_reached_through_variables_and_chains_are_refused(plugin: PluginProcess, sql: str) -> None:
    answer = _answers(plugin, data_query("A", {"rawSql": "SELECT 1 AS v"}), data_query("B", {"rawSql": sql}))["B"]
    assert answer.status == 400 and answer.error and not answer.frames, (sql, answer.error)


@pytest.mark.parametrize(
    ("literal", "value"),
    [
        ("x\\'; DROP TABLE FLOW; --", "x'; DROP TABLE FLOW; --"),  # Spark's backslash escape
        ("x''; DROP TABLE FLOW; --", "x; DROP TABLE FLOW; --"),  # Spark joins adjacent literals: 'x' '; DROP…'
        ("it; /* not */ -- a comment", "it; /* not */ -- a comment"),
        ("$__timeFilter; $__source_prev(A)", "$__timeFilter; $__source_prev(A)"),
    ],
)
def test_a_value_that_stays_inside_its_string_stays_a_value(plugin: PluginProcess, literal: str, value: str) -> None:
    """Quotes escaped the Spark way keep the value data, also after translation to DuckDB's quoting rules."""
    answer = _answers(plugin, data_query("A", {"rawSql": substitute("SELECT '${var}' AS v", literal)}))["A"]
    assert answer.status == 200, answer.error
    (table,) = decode_frames(answer)
    assert table.column("v").to_pylist() == [value]


def test_a_chain_from_a_refused_query_is_refused_too(plugin: PluginProcess) -> None:
    answers = _answers(
        plugin,
        data_query("A", {"rawSql": "SELECT 1 AS v; ATTACH ':memory:' AS x"}),
        data_query("B", {"rawSql": "SELECT * FROM $__source_prev(A)"}),
    )
    assert answers["A"].status == 400 and "one statement" in answers["A"].error
    assert answers["B"].status == 400 and "$__source_prev(A), which failed" in answers["B"].error


def test_a_ref_id_cannot_smuggle_sql_into_a_chain(plugin: PluginProcess) -> None:
    sql = "SELECT * FROM $__source_prev(A); DROP TABLE t; --)"
    answer = _answers(plugin, data_query("A", {"rawSql": "SELECT 1 AS v"}), data_query("B", {"rawSql": sql}))["B"]
    assert answer.status == 400 and not answer.frames, answer.error
