"""One test per escape attempt: nothing but reading registered relations reaches the engine."""

from __future__ import annotations

import pytest

from cloudsql_cos_ts.dialect import translate
from cloudsql_cos_ts.errors import BadRequest

NOT_QUERY = "statements are not allowed: only SELECT, WITH, VALUES and DESCRIBE queries can run"
NO_FILES = "is not allowed: queries may not read files, URLs, settings or the environment"


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("COPY FLOW_FLAT TO '/tmp/x.csv'", f"COPY {NOT_QUERY}"),
        ("ATTACH ':memory:' AS x", f"ATTACH {NOT_QUERY}"),
        ("ATTACH 'other.db'", f"ATTACH {NOT_QUERY}"),
        ("DETACH x", f"DETACH {NOT_QUERY}"),
        ("INSTALL httpfs", f"INSTALL {NOT_QUERY}"),
        ("LOAD httpfs", f"LOAD {NOT_QUERY}"),
        ("SET enable_external_access = true", f"SET {NOT_QUERY}"),
        ("RESET lock_configuration", f"RESET {NOT_QUERY}"),
        ("PRAGMA database_list", f"PRAGMA {NOT_QUERY}"),
        ("CALL duckdb_settings()", f"CALL {NOT_QUERY}"),
        ("EXPORT DATABASE '/tmp/x'", f"EXPORT {NOT_QUERY}"),
        ("IMPORT DATABASE '/tmp/x'", f"IMPORT {NOT_QUERY}"),
        ("CREATE TABLE x AS SELECT 1", f"CREATE {NOT_QUERY}"),
        ("CREATE OR REPLACE VIEW FLOW_FLAT AS SELECT 1", f"CREATE {NOT_QUERY}"),
        ("INSERT INTO FLOW_FLAT SELECT * FROM FLOW_FLAT", f"INSERT {NOT_QUERY}"),
        ("UPDATE FLOW_FLAT SET action = 'x'", f"UPDATE {NOT_QUERY}"),
        ("DELETE FROM FLOW_FLAT", f"DELETE {NOT_QUERY}"),
        ("DROP TABLE FLOW_FLAT", f"DROP {NOT_QUERY}"),
        ("ALTER TABLE FLOW_FLAT RENAME TO y", f"ALTER {NOT_QUERY}"),
        ("MERGE INTO t USING s ON a = b WHEN MATCHED THEN DELETE", f"MERGE {NOT_QUERY}"),
        ("USE other", f"USE {NOT_QUERY}"),
        ("CACHE TABLE FLOW_FLAT", f"CACHE {NOT_QUERY}"),
        ("ADD JAR '/tmp/evil.jar'", f"ADD {NOT_QUERY}"),
        ("SHOW TABLES", f"SHOW {NOT_QUERY}"),
        ("SELECT 1; DROP TABLE FLOW_FLAT", "only one statement per query is allowed"),
        ("/* hidden */ -- x\n DROP TABLE FLOW_FLAT", f"DROP {NOT_QUERY}"),
        ("WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x", f"INSERT {NOT_QUERY}"),
        ("SELECT 1;;SELECT 2", "only one statement per query is allowed"),
        ("SELECT 1 INTO t", "INTO is only allowed as INTO $__dest"),
        ("SELECT * FROM read_csv('/etc/passwd')", f"function read_csv() {NO_FILES}"),
        ("SELECT * FROM read_csv_auto('/etc/passwd')", f"function read_csv_auto() {NO_FILES}"),
        ("SELECT * FROM READ_JSON('/etc/x.json')", f"function read_json() {NO_FILES}"),
        ("SELECT * FROM read_json_auto('/etc/x.json')", f"function read_json_auto() {NO_FILES}"),
        ("SELECT * FROM read_ndjson('/etc/x.json')", f"function read_ndjson() {NO_FILES}"),
        ("SELECT * FROM read_parquet('/etc/x.parquet')", f"function read_parquet() {NO_FILES}"),
        ("SELECT * FROM read_text('/etc/passwd')", f"function read_text() {NO_FILES}"),
        ("SELECT * FROM read_blob('/etc/passwd')", f"function read_blob() {NO_FILES}"),
        ("SELECT * FROM parquet_scan('/x.parquet')", f"function parquet_scan() {NO_FILES}"),
        ("SELECT * FROM parquet_metadata('/x.parquet')", f"function parquet_metadata() {NO_FILES}"),
        ("SELECT * FROM sniff_csv('/etc/passwd')", f"function sniff_csv() {NO_FILES}"),
        ("SELECT * FROM glob('/etc/*')", "syntax error"),
        ("SELECT * FROM FLOW_FLAT WHERE action IN (SELECT file FROM glob('/etc/*', 1))", "is not allowed"),
        ("SELECT * FROM duckdb_settings()", f"function duckdb_settings() {NO_FILES}"),
        ("SELECT * FROM duckdb_secrets()", f"function duckdb_secrets() {NO_FILES}"),
        ("SELECT getenv('HOME')", f"function getenv() {NO_FILES}"),
        ("SELECT current_setting('allowed_directories')", f"function current_setting() {NO_FILES}"),
        ("SELECT getvariable('x')", f"function getvariable() {NO_FILES}"),
        ("SELECT * FROM query('SELECT 1')", f"function query() {NO_FILES}"),
        ("SELECT * FROM query_table('FLOW_FLAT')", f"function query_table() {NO_FILES}"),
        ("SELECT * FROM iceberg_scan('s3://b/t')", f"function iceberg_scan() {NO_FILES}"),
        ("SELECT * FROM delta_scan('s3://b/t')", f"function delta_scan() {NO_FILES}"),
        ("SELECT * FROM sqlite_scan('x.db', 't')", f"function sqlite_scan() {NO_FILES}"),
        ("SELECT http_get('http://x')", f"function http_get() {NO_FILES}"),
        ("SELECT reflect('java.lang.Runtime', 'getRuntime')", f"function reflect() {NO_FILES}"),
        ("SELECT java_method('java.lang.System', 'getenv', 'HOME')", f"function java_method() {NO_FILES}"),
        ("SELECT json_execute_serialized_sql('x')", f"function json_execute_serialized_sql() {NO_FILES}"),
        ("SELECT nextval('s')", f"function nextval() {NO_FILES}"),
        (
            "SELECT * FROM summary(FLOW_FLAT)",
            "table function summary() is not allowed; only range, generate_series and unnest are",
        ),
        ("SELECT * FROM test_all_types()", "table function test_all_types() is not allowed"),
        ("SELECT * FROM '/etc/passwd'", "table name '/etc/passwd' is not allowed: files cannot be read by name"),
        ('SELECT * FROM "data.csv"', "table name 'data.csv' is not allowed: files cannot be read by name"),
        ("SELECT * FROM `flows.parquet`", "table name 'flows.parquet' is not allowed: files cannot be read by name"),
        ("SELECT * FROM parquet.`/tmp/x`", "qualified table names are not allowed"),
        ("SELECT * FROM information_schema.tables", "qualified table names are not allowed"),
        ("SELECT * FROM main.FLOW_FLAT", "qualified table names are not allowed"),
        ("SELECT * FROM sqlite_master", "table sqlite_master is not allowed: system tables are not available"),
        ("SELECT * FROM duckdb_tables", "table duckdb_tables is not allowed: system tables are not available"),
        ("SELECT * FROM pragma_database_list", "table pragma_database_list is not allowed"),
        ("WITH x AS (SELECT * FROM read_csv('/etc/passwd')) SELECT * FROM x", f"function read_csv() {NO_FILES}"),
        ("SELECT (SELECT count(*) FROM read_text('/etc/passwd')) AS n", f"function read_text() {NO_FILES}"),
        ("SELECT * FROM FLOW_FLAT WHERE length(getenv('HOME')) > 0", f"function getenv() {NO_FILES}"),
        ("SELECT 1 UNION ALL SELECT * FROM read_csv('/etc/passwd')", f"function read_csv() {NO_FILES}"),
        ("SELECT * FROM FLOW_FLAT JOIN read_json('/x') j ON true", f"function read_json() {NO_FILES}"),
        ("SELECT * FROM FLOW_FLAT LATERAL VIEW read_csv('/etc/passwd') t AS c", "read_csv() is not allowed"),
        ("SELECT * FROM FLOW_FLAT LATERAL VIEW stack(1, 2) t AS c", "LATERAL VIEW stack() is not allowed"),
        ("DESCRIBE read_csv('/etc/passwd')", "DESCRIBE takes the name of a table"),
        ("SELECT * FROM DESCRIBE(read_csv('/etc/passwd'))", "DESCRIBE takes the name of a table"),
        ("DESCRIBE '/etc/passwd'", "table name '/etc/passwd' is not allowed: files cannot be read by name"),
    ],
)
def test_escape_is_refused(sql: str, message: str) -> None:
    with pytest.raises(BadRequest) as caught:
        translate(sql, dialect="duckdb")
    assert message in caught.value.message


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM range(3)",
        "SELECT * FROM generate_series(1, 3)",
        "SELECT * FROM unnest(array(1, 2)) AS t(x)",
        "SELECT * FROM FLOW_FLAT LATERAL VIEW explode(array(1, 2)) t AS c",
        "VALUES (1, 2)",
        "DESCRIBE FLOW_FLAT",
        "WITH a AS (SELECT 1 AS x) SELECT x FROM a UNION SELECT 2",
        "SELECT 'read_csv(/etc/passwd)' AS harmless_text",
    ],
)
def test_reads_are_allowed(sql: str) -> None:
    translate(sql, dialect="duckdb")


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT * FROM", "SQL syntax error at line 1, column 13"),
        ("SELECT a,\n  b\n FROM t WHERE (", "SQL syntax error at line 3, column"),
        ("SELECT a FROM t WHERE x = = 1", "SQL syntax error at line 1, column"),
        ("", "the query is empty"),
        ("  -- only a comment", "the query is empty"),
        ("SELECT " + "(" * 2000 + "1" + ")" * 2000, "the query nests parentheses or expressions too deeply"),
    ],
)
def test_syntax_errors_show_the_position(sql: str, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        translate(sql, dialect="duckdb")
