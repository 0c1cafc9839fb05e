"""The Spark engine on a real Spark Connect server: TS functions as on DuckDB, errors, limits, cancel."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.dialect import translate
from cloudsql_cos_ts.engines.base import Engine, ExecutionRequest
from cloudsql_cos_ts.engines.duckdb.engine import DuckDBEngine
from cloudsql_cos_ts.engines.registry import create_engine
from cloudsql_cos_ts.engines.spark import client
from cloudsql_cos_ts.errors import BadRequest, DownstreamError, DownstreamTimeout, QueryCancelled
from cloudsql_cos_ts.settings.datasource import parse_datasource_settings
from cloudsql_cos_ts.settings.plugin import PluginSettings, load_plugin_settings
from cloudsql_cos_ts.settings.secret import Secret
from cloudsql_cos_ts.timerange import TimeRange
from tests.dialect.test_timeseries import CASES, OBSERVATIONS, _ms, _rounded, _series

RANGE = TimeRange(1714953600000, 1714975200000)


def spark_engine(url: str, tmp_path: Path, **json_data: Any) -> Engine:
    data = {"engine": "spark", "sparkUrl": url, **json_data}
    settings = parse_datasource_settings(uid="s", name="s", last_updated_ms=1, json_data=json.dumps(data).encode(),
                                         secure={})
    return create_engine(settings, PluginSettings(cache_dir=tmp_path))


@pytest.fixture(scope="module")
def spark(spark_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = spark_engine(spark_url, tmp_path_factory.mktemp("spark-engine"))
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def duck(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = DuckDBEngine(threads=1, memory_limit="1GB", query_timeout_s=60,
                          temp_directory=str(tmp_path_factory.mktemp("duck")))
    yield engine
    engine.close()


OBS = pa.table({
    "k": [k for k, _, _ in OBSERVATIONS],
    "t": pa.array([datetime.fromtimestamp(_ms(c) / 1000, UTC).replace(tzinfo=None) for _, c, _ in OBSERVATIONS],
                  pa.timestamp("us")),
    "s": [f"2024-05-06T{c}:00Z" for _, c, _ in OBSERVATIONS],
    "v": [v for _, _, v in OBSERVATIONS],
})


def run(engine: Engine, sql: str, *, row_limit: int = 1000, cancel: CancelToken | None = None) -> pa.Table:
    translation = translate(sql, dialect=engine.dialect)
    return engine.execute(ExecutionRequest(
        sql=translation.sql, time_range=RANGE, cancel=cancel or CancelToken(), row_limit=row_limit,
        referenced=translation.referenced, tables={"OBS": OBS},
    )).table


@pytest.mark.parametrize(("inner", "expected"), CASES)
def test_time_series_functions_as_on_duckdb(spark: Engine, duck: Engine, inner: str, expected: Any) -> None:
    on_spark, on_duck = run(spark, _series(inner)), run(duck, _series(inner))
    assert on_spark.schema == on_duck.schema
    assert _rounded([tuple(r.values()) for r in on_spark.to_pylist()]) == _rounded(expected)
    assert _rounded([tuple(r.values()) for r in on_duck.to_pylist()]) == _rounded(expected)


def test_string_timeticks(spark: Engine) -> None:
    sql = _series("TS_SEG_COUNT(TS_SEGMENT_BY_TIME(ts, 3600000, 3600000))", tick="s")
    assert _rounded([tuple(r.values()) for r in run(spark, sql).to_pylist()]) == _rounded(CASES[0][1])


@pytest.mark.parametrize("engine", ["spark", "duck"])
def test_too_many_time_windows_is_a_400_naming_the_function(request: pytest.FixtureRequest, engine: str) -> None:
    """1 ms windows over three hours: about 11 million windows with the empty ones, refused by the SQL itself."""
    with pytest.raises(BadRequest) as caught:
        run(request.getfixturevalue(engine), _series("TS_SEG_COUNT(TS_SEGMENT_BY_TIME(ts, 1, 1))"))
    assert "TS_SEGMENT_BY_TIME(ts, window, step): a series would have more than" in caught.value.message


def test_health_names_the_version(spark: Engine) -> None:
    assert spark.health(CancelToken()).startswith("Spark 4.3.0 (Spark Connect at 127.0.0.1:")


def test_sql_errors_are_400_with_sparks_message_and_no_stack_trace(spark: Engine) -> None:
    with pytest.raises(BadRequest) as caught:
        run(spark, "SELECT nope FROM obs")
    assert "UNRESOLVED_COLUMN" in caught.value.message and "`nope`" in caught.value.message
    assert "JVM" not in caught.value.message and "Project" not in caught.value.message


def test_row_limit_truncates(spark: Engine) -> None:
    translation = translate("SELECT * FROM range(0, 10)", dialect="spark")
    result = spark.execute(ExecutionRequest(sql=translation.sql, time_range=RANGE, cancel=CancelToken(), row_limit=4))
    assert result.truncated and result.table.column("id").to_pylist() == [0, 1, 2, 3]


def test_timestamps_arrive_in_nanoseconds(spark: Engine) -> None:
    table = run(spark, "SELECT t FROM obs")
    assert table.schema.field("t").type == pa.timestamp("ns", tz="UTC") and table.schema.field("t").metadata is None


LONG_QUERY = "SELECT count(*) FROM range(0, 1000000000000) a WHERE a.id % 7 = 3"


@pytest.mark.parametrize(("reason", "error"), [("timeout", DownstreamTimeout), ("cancelled", QueryCancelled)])
def test_cancel_interrupts_the_operation_on_the_server(spark: Engine, reason: str, error: type[Exception]) -> None:
    cancel = CancelToken()
    began = time.monotonic()
    timer = threading.Timer(2.0, cancel.cancel, kwargs={"reason": reason})
    timer.start()
    with pytest.raises(error):
        run(spark, LONG_QUERY, cancel=cancel)
    assert time.monotonic() - began < 20
    began = time.monotonic()
    assert run(spark, "SELECT 1 AS one").column("one").to_pylist() == [1]  # the server is free again
    assert time.monotonic() - began < 10


def test_a_refused_server_is_502_at_once_naming_the_address_and_never_the_token(tmp_path: Path) -> None:
    """A refused connection is not retried (engines/spark/retries.py): it took about 6 s of back-off before."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = parse_datasource_settings(
        uid="u", name="u", last_updated_ms=1,
        json_data=json.dumps({"engine": "spark", "sparkUrl": f"sc://127.0.0.1:{port}"}).encode(),
        secure={"sparkToken": "tok-secret-123"},
    )
    engine = create_engine(settings, PluginSettings(cache_dir=tmp_path))
    began = time.monotonic()
    with pytest.raises(DownstreamError) as caught:
        engine.health(CancelToken())
    assert time.monotonic() - began < 2  # one connection attempt; slack for a busy machine
    assert "tok-secret-123" not in caught.value.message
    assert caught.value.message == (
        f"the Spark Connect server at 127.0.0.1:{port} cannot be reached: the connection was refused; check "
        "sparkUrl's host and port and that the server is running"
    )
    engine.close()


def test_token_goes_into_the_connection_url_encoded() -> None:
    assert client.connect_url("sc://h:443", Secret("a/b;c")) == "sc://h:443/;token=a%2Fb%3Bc"
    assert client.connect_url("sc://h:443/;use_ssl=true", Secret("t")) == "sc://h:443/;use_ssl=true;token=t"
    assert client.connect_url("sc://h:15002", Secret("")) == "sc://h:15002"


def test_missing_pyspark_is_a_clear_400(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(name: str) -> None:
        raise ModuleNotFoundError(f"No module named {name!r}", name="pyspark")

    monkeypatch.setattr(client.importlib, "import_module", refuse)
    with pytest.raises(BadRequest, match=r"unpack the optional Spark client bundle .* set spark_client = "):
        client.load_pyspark()


def test_a_client_bundle_without_this_platform_is_a_clear_400(tmp_path: Path) -> None:
    (tmp_path / "linux_other").mkdir()
    with pytest.raises(BadRequest, match=rf"has no {client.platform_name()} folder: unpack the Spark client bundle"):
        client.load_pyspark(tmp_path)


def test_the_client_bundle_is_named_in_grafana_ini() -> None:
    folder = load_plugin_settings({"GF_PLUGIN_SPARK_CLIENT": "/opt/spark-client"}).spark_client
    assert folder == Path("/opt/spark-client")
    assert load_plugin_settings({"GF_PLUGIN_SPARK_CLIENT": " "}).spark_client is None


def test_cos_is_read_through_s3a_settings_of_the_datasources_own_sessions(tmp_path: Path) -> None:
    from cloudsql_cos_ts.engines.spark.source import session_conf, spark_location

    def settings(auth: dict[str, Any], secure: dict[str, str], bucket: str = "flowlogs") -> Any:
        data = {"engine": "spark", "sparkUrl": "sc://h:1", "source": f"cos://us-south/{bucket}/logs/", **auth}
        return parse_datasource_settings(uid="c", name="c", last_updated_ms=1, json_data=json.dumps(data).encode(),
                                         secure=secure)

    keys = {"hmacAccessKeyId": "id", "hmacSecretAccessKey": "sk"}
    hmac = spark_location(settings({"authType": "hmac"}, keys))
    scheme, path = hmac.root.split("://")
    assert re.fullmatch(r"s3a-[0-9a-f]{16}", scheme) and path == "flowlogs/logs"
    conf = session_conf(settings({"authType": "hmac"}, keys))
    assert conf[f"fs.{scheme}.impl"] == "org.apache.hadoop.fs.s3a.S3AFileSystem"
    assert conf["fs.s3a.bucket.flowlogs.access.key"] == "id" and conf["fs.s3a.bucket.flowlogs.secret.key"] == "sk"
    assert conf["fs.s3a.bucket.flowlogs.endpoint"].startswith("https://s3.us-south.")
    assert conf["fs.s3a.bucket.flowlogs.path.style.access"] == "true"
    assert not [key for key in conf if key.startswith("fs.s3a.") and not key.startswith("fs.s3a.bucket.flowlogs.")]
    # the same settings share a cached connector on the server; other keys or endpoints never do
    assert spark_location(settings({"authType": "hmac"}, keys)).root == hmac.root
    others = [
        spark_location(settings({"authType": "hmac"}, {**keys, "hmacSecretAccessKey": "sk2"})).root,
        spark_location(settings({"authType": "hmac", "cosEndpoint": "http://127.0.0.1:9"}, keys)).root,
    ]
    assert all(other.split("://")[0] != scheme for other in others)
    with pytest.raises(BadRequest, match="needs HMAC keys"):
        spark_location(settings({"authType": "iam"}, {"apiKey": "k"}))
    # an allowed location in another bucket gets its settings in the same sessions (Hadoop's cache is per bucket)
    both = session_conf(settings({"authType": "hmac", "allowedLocations": ["cos://us-south/other/x/"]}, keys))
    assert both["fs.s3a.bucket.other.secret.key"] == both["fs.s3a.bucket.flowlogs.secret.key"] == "sk"


@pytest.mark.parametrize(
    ("sql", "expected", "relation"),
    [
        ("SELECT * FROM DESCRIBE(FLOW_FLAT)", "SELECT * FROM (SELECT name, type, nullable FROM __DESCRIBE_FLOW_FLAT)",
         "__DESCRIBE_FLOW_FLAT"),
        ("SELECT name FROM (DESCRIBE flow) AS d",
         "SELECT name FROM (SELECT name, type, nullable FROM __DESCRIBE_FLOW) AS d", "__DESCRIBE_FLOW"),
    ],
)
def test_describe_as_a_table_reads_the_described_relation_on_spark(sql: str, expected: str, relation: str) -> None:
    translation = translate(sql, dialect="spark")
    assert (translation.sql, translation.referenced) == (expected, {relation})


def test_describe_as_a_table_on_spark(spark: Engine) -> None:
    table = run(spark, "SELECT name, type, nullable FROM DESCRIBE(obs) WHERE name <> 's'")
    assert table.to_pylist() == [
        {"name": "k", "type": "string", "nullable": True},
        {"name": "t", "type": "timestamp", "nullable": True},
        {"name": "v", "type": "double", "nullable": True},
    ]
