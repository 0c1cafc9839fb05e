"""What user SQL may not do, checked twice: by the DuckDB sandbox alone, and through QueryData.

The dialect layer admits only read statements and no file/URL/settings functions; underneath it
the DuckDB connection itself refuses file system and network access outside the plugin's own
folders and cannot be reconfigured. The engine-level table bypasses the dialect on purpose: if the
guard above ever misses a trick, the sandbox must still hold.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator

import pytest

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.engines.base import ExecutionRequest
from cloudsql_cos_ts.engines.duckdb.engine import DuckDBEngine
from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.proto import backend_pb2 as pb
from cloudsql_cos_ts.timerange import TimeRange
from tests.plugin_host import PluginProcess, data_query, datasource_context


@pytest.fixture(scope="module")
def engine() -> Iterator[DuckDBEngine]:
    with tempfile.TemporaryDirectory() as temp:
        sandboxed = DuckDBEngine(threads=1, memory_limit="512MB", query_timeout_s=30, temp_directory=temp)
        yield sandboxed
        sandboxed.close()


ENGINE_ESCAPES = [
    ("SELECT * FROM read_csv('/etc/passwd')", "Cannot access file"),
    ("SELECT * FROM read_text('/etc/hostname')", "Cannot access file"),
    ("SELECT * FROM read_blob('/etc/hostname')", "Cannot access file"),
    ("SELECT * FROM read_json('/etc/passwd')", "Cannot access file"),
    ("SELECT * FROM parquet_scan('/etc/passwd')", "Cannot access file"),
    ("SELECT * FROM sniff_csv('/etc/passwd')", "Cannot access file"),
    ("SELECT * FROM glob('/etc/*')", "Cannot access file"),
    ("SELECT * FROM read_parquet('http://127.0.0.1:9/x.parquet')", "Cannot access file"),
    ("COPY (SELECT 1) TO '/tmp/cloudsql-escape.csv'", "Cannot access file"),
    ("ATTACH '/tmp/cloudsql-escape.db' AS e", "Cannot access file"),
    ("EXPORT DATABASE '/tmp/cloudsql-escape'", "Cannot access directory"),
    ("INSTALL httpfs", "Cannot access directory"),
    ("LOAD httpfs", "Loading external extensions is disabled"),
    ("SET enable_external_access = true", "Cannot change configuration option"),
    ("SET lock_configuration = false", "Cannot change configuration option"),
    ("SET allowed_directories = ['/']", "Cannot change configuration option"),
]


@pytest.mark.parametrize(("sql", "message"), ENGINE_ESCAPES)
def test_duckdb_sandbox_holds_without_the_dialect_guard(engine: DuckDBEngine, sql: str, message: str) -> None:
    request = ExecutionRequest(sql=sql, time_range=TimeRange(0, 1), cancel=CancelToken(), row_limit=10)
    with pytest.raises(BadRequest, match=message):
        engine.execute(request)


QUERY_ESCAPES = [
    ("SELECT * FROM read_csv('/etc/passwd')", "not allowed"),
    ("SELECT * FROM read_csv_auto('/etc/passwd')", "not allowed"),
    ("FROM read_csv('/etc/passwd')", "not allowed"),
    ("SELECT * FROM read_parquet('http://127.0.0.1:9/x.parquet')", "not allowed"),
    ("WITH x AS (SELECT * FROM read_parquet('/etc/passwd')) SELECT * FROM x", "not allowed"),
    ("SELECT * FROM read_text('/etc/hostname')", "not allowed"),
    ("SELECT * FROM read_ndjson('/etc/passwd')", "not allowed"),
    ("SELECT * FROM sqlite_scan('/tmp/x.db', 't')", "not allowed"),
    ("SELECT * FROM iceberg_scan('/tmp')", "not allowed"),
    ("SELECT * FROM query('SELECT 1')", "not allowed"),
    ("SELECT * FROM duckdb_settings()", "not allowed"),
    ("SELECT * FROM duckdb_secrets()", "not allowed"),
    ("SELECT * FROM pragma_database_list()", "not allowed"),
    ("SELECT current_setting('allowed_directories')", "not allowed"),
    ("SELECT * FROM 'data.csv'", "not allowed"),
    ('SELECT * FROM "/etc/passwd"', "not allowed"),
    ("SELECT * FROM `/etc/passwd`", "not allowed"),
    ("PRAGMA database_list", "not allowed"),
    ("CALL pragma_version()", "not allowed"),
    ("SUMMARIZE SELECT 1", "not allowed"),
    ("COPY (SELECT 1) TO '/tmp/cloudsql-escape.csv'", "not allowed"),
    ("ATTACH ':memory:' AS x", "not allowed"),
    ("INSTALL httpfs", "not allowed"),
    ("LOAD httpfs", "not allowed"),
    ("SET enable_external_access = true", "not allowed"),
    ("EXPORT DATABASE '/tmp/x'", "not allowed"),
    ("CREATE TABLE t AS SELECT 1", "not allowed"),
    ("SELECT * FROM (VALUES (1)) t; COPY (SELECT 1) TO '/tmp/y'", "one statement"),
    # tricks through macros and through variables Grafana substitutes before the query arrives
    ("SELECT * FROM range(1) WHERE $__timeFilterColumn(range); DROP TABLE x --, string)", "one statement"),
    ("SELECT * FROM range(1) WHERE '1' = '${var}'; ATTACH ':memory:' AS x; --'", "one statement"),
    ("SELECT * FROM range(1) /* $__timeFilter */ WHERE 1 = 1; LOAD httpfs", "one statement"),
]


def test_at_least_twenty_escape_attempts_are_listed() -> None:
    assert len(QUERY_ESCAPES) >= 20 and len(ENGINE_ESCAPES) >= 15


@pytest.mark.parametrize(("sql", "message"), QUERY_ESCAPES)
def test_queries_cannot_escape(plugin: PluginProcess, sql: str, message: str) -> None:
    request = pb.QueryDataRequest(pluginContext=datasource_context(), queries=[data_query("A", {"rawSql": sql})])
    answer = plugin.data.QueryData(request, timeout=60).responses["A"]
    assert answer.status == 400, (sql, answer.status, answer.error)
    assert message in answer.error and not answer.frames
