"""IBM's ``FROM cos://… STORED AS``, ``DESCRIBE(cos://…)`` and ``INTO cos://…`` forms, confined to the
datasource's locations: parsing, the confinement rule, and the plugin process over the S3 test server.

The datasource reads ``cos://us-south/flowlogs/src/`` and writes ``…/dest/``, and allows
``…/shared/``; the hand-made IBM-shaped objects (``tests/real_objects``) lie below both ``src/``
and ``shared/``, and ``secret/`` holds the same objects where no setting allows them.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from cloudsql_cos_ts.dialect import ExternalRef, translate
from cloudsql_cos_ts.dialect.model import ExternalTarget
from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.proto import backend_pb2 as pb
from cloudsql_cos_ts.settings.confinement import Confinement, parse_allowed_locations
from cloudsql_cos_ts.settings.datasource import Credentials
from cloudsql_cos_ts.settings.locations import parse_location
from cloudsql_cos_ts.settings.secret import Secret
from cloudsql_cos_ts.storage.cos import CosStore
from tests.plugin_host import PluginProcess, data_query, datasource_context, decode_frames
from tests.real_objects import cases as real_objects
from tests.storage.conftest import BUCKET, HMAC_ID, HMAC_SECRET, s3_endpoint  # noqa: F401 (the fixture)

FROM_MS = int(datetime(2020, 7, 1, 20, tzinfo=UTC).timestamp() * 1000)
TO_MS = int(datetime(2020, 7, 1, 22, tzinfo=UTC).timestamp() * 1000)
READABLE = [c for c in real_objects.CASES if not c.damaged and c.name != "not_gzipped"]
RECORDS = sum(len(json.loads(gzip.decompress(c.body))["flow_logs"]) for c in READABLE)
SHARED = f"cos://us-south/{BUCKET}/shared/ibm_vpc_flowlogs_v1/"
DAMAGED_FOLDER = "shared/with-damaged/"

# --- INTO cos://… parsed out of the statement --------------------------------------------------

INTO_CASES = [
    ("INTO cos://us-south/b/out/ STORED AS PARQUET", ExternalTarget("cos://us-south/b/out/", "parquet")),
    (
        "INTO cos://us-south/b/out/ JOBPREFIX NONE STORED AS parquet PARTITIONED BY (year, `month`)",
        ExternalTarget("cos://us-south/b/out/", "parquet", False, ("year", "month")),
    ),
    ("INTO cos://eu-de/b/o JOBPREFIX JOBID STORED AS CSV PARTITIONED INTO 4 OBJECTS", (
        ExternalTarget("cos://eu-de/b/o", "csv", objects=4)
    )),
    ("INTO cos://us-south/b/o STORED AS json PARTITIONED EVERY 1000 ROWS", (
        ExternalTarget("cos://us-south/b/o", "json", rows_per_object=1000)
    )),
]


@pytest.mark.parametrize(("clause", "target"), INTO_CASES)
def test_into_clause_becomes_the_target(clause: str, target: ExternalTarget) -> None:
    translation = translate(f"SELECT a FROM cos://us-south/b/in/ STORED AS ORC {clause}", dialect="duckdb")
    assert translation.sql == "SELECT a FROM __EXTERNAL_1"
    assert translation.external == (ExternalRef("cos://us-south/b/in/", "orc", "__EXTERNAL_1"),)
    assert translation.target == target


@pytest.mark.parametrize(
    ("clause", "message"),
    [
        ("INTO cos://us-south/b/o", "add STORED AS JSON|PARQUET|CSV|ORC|AVRO"),
        ("INTO cos://us-south/b/o JOBPREFIX ME STORED AS CSV", "JOBPREFIX is followed by JOBID or NONE"),
        ("INTO cos://us-south/b/o STORED AS CSV PARTITIONED INTO 0 OBJECTS", "whole number from 1 to 10000"),
        ("INTO cos://us-south/b/o STORED AS CSV PARTITIONED EVERY ROWS", "whole number from 1 to 10000"),
        ("INTO cos://us-south/b/o STORED AS CSV PARTITIONED BY (`a/b`)", "PARTITIONED BY takes column names"),
        ("INTO cos://us-south/b/o STORED AS CSV PARTITIONED SOMEHOW", "PARTITIONED takes one of"),
        ("INTO cos://b STORED AS CSV", "write the location as cos://<region>/<bucket>/<prefix>"),
        ("INTO cos://us-south/b/o STORED AS CSV INTO cos://us-south/b/p STORED AS CSV", "one INTO clause"),
    ],
)
def test_into_clause_errors(clause: str, message: str) -> None:
    with pytest.raises(BadRequest, match=message.replace("|", r"\|").replace("(", r"\(")):
        translate(f"SELECT 1 {clause}", dialect="duckdb")


# --- the confinement rule ------------------------------------------------------------------------

ENDPOINT = "http://127.0.0.1:9"
ROOTS = Confinement(
    (
        parse_location("cos://us-south/flowlogs/src/", field="source", endpoint_override=ENDPOINT),
        parse_location("/var/lib/flows", field="destination"),
        *parse_allowed_locations({"allowedLocations": ["cos://us-south/shared/logs/", ""]}, ENDPOINT),
    ),
    ENDPOINT,
)


@pytest.mark.parametrize(
    "url",
    [
        "cos://us-south/flowlogs/src/",
        "cos://us-south/flowlogs/src/ibm_vpc_flowlogs_v1/",
        "cos://eu-de/flowlogs/src/a/b",  # with cosEndpoint set, every alias and host goes to that endpoint
        "cos://us-south/shared/logs/2020/",
    ],
)
def test_inside_the_datasources_locations(url: str) -> None:
    assert ROOTS.resolve(url, purpose="FROM").bucket in ("flowlogs", "shared")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("cos://us-south/other-bucket/src/", "outside this datasource's locations"),
        ("cos://us-south/flowlogs/", "outside this datasource's locations"),
        ("cos://us-south/flowlogs/src-beside/", "outside this datasource's locations"),
        ("cos://us-south/shared/logs-old/", "outside this datasource's locations"),
        ("cos://us-south/flowlogs/src/../secret/", "'.', '..' and '\\\\' are not allowed"),
        ("cos://us-south/flowlogs/src/./x", "'.', '..' and '\\\\' are not allowed"),
        ("cos://us-south/var/lib/flows/", "outside this datasource's locations"),  # a local root is no bucket
        ("file:///var/lib/flows/", "only cos://<region>/<bucket>/<prefix> locations"),
        ("http://127.0.0.1:9/flowlogs/src/", "only cos://<region>/<bucket>/<prefix> locations"),
        ("/var/lib/flows", "only cos://<region>/<bucket>/<prefix> locations"),
    ],
)
def test_outside_is_refused_naming_the_setting(url: str, message: str) -> None:
    with pytest.raises(BadRequest, match=message) as refused:
        ROOTS.resolve(url, purpose="FROM")
    if "outside" in message:
        assert "allowedLocations" in str(refused.value)


def test_without_an_endpoint_override_hosts_must_agree() -> None:
    roots = Confinement((parse_location("cos://us-south/flowlogs/", field="source"),))
    assert roots.resolve("cos://s3.us-south.cloud-object-storage.appdomain.cloud/flowlogs/x/", purpose="FROM")
    with pytest.raises(BadRequest, match="allowedLocations"):
        roots.resolve("cos://eu-de/flowlogs/x/", purpose="FROM")
    with pytest.raises(BadRequest, match="allowedLocations"):
        roots.resolve("cos://attacker.example/flowlogs/x/", purpose="FROM")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("cos://us-south/b/", "must be a list"),
        (["cos://us-south/b/", 3], "must be a list"),
        (["relative/folder"], r"allowedLocations\[0\] must be an absolute folder path"),
        (["http://host/b/"], r"allowedLocations\[0\] must be a cos://"),
        ([f"cos://us-south/b{i:03d}/" for i in range(101)], "at most 100"),
    ],
)
def test_allowed_locations_setting_errors(value: Any, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        parse_allowed_locations({"allowedLocations": value}, None)


# --- through the plugin process over the S3 test server -------------------------------------------


@pytest.fixture(scope="module")
def plugin(
    s3_endpoint: str, tmp_path_factory: pytest.TempPathFactory  # noqa: F811 (the imported fixture)
) -> Iterator[tuple[PluginProcess, pb.PluginContext, CosStore]]:
    hmac = Credentials(auth="hmac", hmac_access_key_id=Secret(HMAC_ID), hmac_secret_access_key=Secret(HMAC_SECRET))
    store = CosStore(s3_endpoint, BUCKET, hmac)
    for folder in ("src/", "shared/", "secret/"):
        for case in READABLE:
            store.put(folder + case.key, case.body)
    for case in real_objects.CASES:
        if case.name in ("ibm_sample", "truncated_gzip"):
            store.put(DAMAGED_FOLDER + case.key, case.body)
    json_data = {
        "source": f"cos://us-south/{BUCKET}/src/",
        "destination": f"cos://us-south/{BUCKET}/dest/",
        "allowedLocations": [f"cos://us-south/{BUCKET}/shared/"],
        "cosEndpoint": s3_endpoint,
        "authType": "hmac",
        "cacheTtlSeconds": 0,
    }
    context = datasource_context(json_data, {"hmacAccessKeyId": HMAC_ID, "hmacSecretAccessKey": HMAC_SECRET}, uid="ibm")
    process = PluginProcess(cache_dir=tmp_path_factory.mktemp("ibm-locations") / "cache").start()
    yield process, context, store
    process.stop()


def _ask(
    plugin: tuple[PluginProcess, pb.PluginContext, CosStore], sql: str, context: pb.PluginContext | None = None
) -> pb.DataResponse:
    process, default, _ = plugin
    context = context or default
    model = {"rawSql": sql, "format": "table"}
    return process.query(data_query("A", model, from_ms=FROM_MS, to_ms=TO_MS), context=context, timeout=120)["A"]


def _rows(answer: pb.DataResponse) -> list[tuple[Any, ...]]:
    assert answer.status == 200, answer.error
    (table,) = decode_frames(answer)
    return [tuple(row.values()) for row in table.to_pylist()]


def test_a_flow_log_location_reads_like_flow(plugin: tuple[PluginProcess, pb.PluginContext, CosStore]) -> None:
    """IBM's FLOW table over a cos:// location: one row per object, records exploded as at IBM."""
    assert _rows(_ask(plugin, "SELECT count(*) AS n FROM FLOW_FLAT")) == [(RECORDS,)]
    exploded = (
        f"SELECT count(*) AS n, count(DISTINCT `vnic-id`) AS vnics FROM {SHARED} STORED AS JSON "
        "LATERAL VIEW explode(flow_logs) AS flow WHERE hour(flow.start_time) = 20"
    )
    flat = "SELECT count(*), count(DISTINCT `vnic-id`) FROM FLOW_FLAT WHERE hour(start_time) = 20"
    in_hour_20 = _rows(_ask(plugin, flat))
    assert _rows(_ask(plugin, exploded)) == in_hour_20
    objects = f"SELECT count(*) AS n FROM {SHARED} STORED AS JSON WHERE capture_start_time >= TIMESTAMP '2020-07-01'"
    assert _rows(_ask(plugin, objects)) == [(len(READABLE),)]


def test_describe_of_a_location(plugin: tuple[PluginProcess, pb.PluginContext, CosStore]) -> None:
    rows = _rows(_ask(plugin, f"SELECT name, type FROM DESCRIBE({SHARED} STORED AS JSON) WHERE name LIKE 'capture%'"))
    assert rows == [("capture_start_time", "TIMESTAMP"), ("capture_end_time", "TIMESTAMP")]


def test_time_series_over_a_location(plugin: tuple[PluginProcess, pb.PluginContext, CosStore]) -> None:
    """One day-long segment per direction: it counts the records that have a time."""
    sql = f"""WITH records AS (
      SELECT flow.direction, flow.start_time, flow.bytes_from_initiator
      FROM {SHARED} STORED AS JSON LATERAL VIEW explode(flow_logs) AS flow
    ), series AS (
      SELECT direction, ts FROM records
      USING TIME_SERIES_FORMAT(key="direction", timetick="start_time", value="bytes_from_initiator") IN ts
    )
    SELECT direction, n FROM (
      SELECT direction, TS_EXPLODE(TS_SEG_COUNT(TS_SEGMENT_BY_TIME(ts, 86400000, 86400000))) AS (tt, n) FROM series
    ) ORDER BY direction"""
    counted = "SELECT direction, CAST(count(hour(start_time)) AS DOUBLE) FROM FLOW_FLAT GROUP BY 1 ORDER BY 1"
    assert _rows(_ask(plugin, sql)) == _rows(_ask(plugin, counted))


def test_into_a_location_and_read_it_back(plugin: tuple[PluginProcess, pb.PluginContext, CosStore]) -> None:
    _, _, store = plugin
    ports = "SELECT target_port, direction FROM FLOW_FLAT ORDER BY target_port, direction"
    expected = _rows(_ask(plugin, ports))
    written = _ask(plugin, f"{ports} INTO cos://us-south/{BUCKET}/dest/ports/ JOBPREFIX NONE STORED AS PARQUET")
    assert _rows(written) == expected
    assert [o.key for o in store.list("dest/ports/").objects] == ["dest/ports/part-00000.parquet"]
    back = f"SELECT * FROM cos://us-south/{BUCKET}/dest/ports/ STORED AS PARQUET ORDER BY target_port, direction"
    assert _rows(_ask(plugin, back)) == expected


@pytest.mark.parametrize(
    ("folder", "clause", "layout"),
    [
        ("by", "STORED AS CSV PARTITIONED BY (direction)", [f"direction={d}/part-00000.csv" for d in "IO"]),
        ("into", "STORED AS JSON PARTITIONED INTO 3 OBJECTS", [f"part-0000{i}.json" for i in range(3)]),
        ("every", "STORED AS ORC PARTITIONED EVERY 4 ROWS", [f"part-0000{i}.orc" for i in range(-(-RECORDS // 4))]),
    ],
)
def test_partitioned_writes(
    plugin: tuple[PluginProcess, pb.PluginContext, CosStore], folder: str, clause: str, layout: list[str]
) -> None:
    _, _, store = plugin
    into = f"INTO cos://us-south/{BUCKET}/shared/{folder}/ JOBPREFIX NONE {clause}"
    answer = _ask(plugin, f"SELECT target_port, direction FROM FLOW_FLAT {into}")
    folder = f"shared/{folder}/"
    assert answer.status == 200, answer.error
    assert [o.key.removeprefix(folder) for o in store.list(folder).objects] == layout


def test_jobprefix_jobid_is_the_default(plugin: tuple[PluginProcess, pb.PluginContext, CosStore]) -> None:
    _, _, store = plugin
    assert _ask(plugin, f"SELECT 1 AS one INTO cos://us-south/{BUCKET}/dest/jobs/ STORED AS JSON").status == 200
    (key,) = [o.key for o in store.list("dest/jobs/").objects]
    assert key.startswith("dest/jobs/jobid=") and key.endswith("/part-00000.json")
    assert store.get(key)[0] == b'{"one":1}\n'


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        (f"SELECT * FROM cos://us-south/{BUCKET}/secret/ibm_vpc_flowlogs_v1/ STORED AS JSON", "allowedLocations"),
        ("SELECT * FROM cos://us-south/other-bucket/x/ STORED AS JSON", "allowedLocations"),
        (f"SELECT * FROM cos://us-south/{BUCKET}/shared/../secret/ STORED AS JSON", "'..'"),
        (f"SELECT * FROM DESCRIBE(cos://us-south/{BUCKET}/secret/ STORED AS JSON)", "allowedLocations"),
        (f"SELECT 1 INTO cos://us-south/{BUCKET}/secret/ STORED AS CSV", "allowedLocations"),
        (f"SELECT 1 INTO cos://us-south/{BUCKET}/dest/x/ STORED AS AVRO", "STORED AS AVRO cannot be written"),
        (f"SELECT * FROM cos://us-south/{BUCKET}/shared/ STORED AS ORC", "STORED AS ORC cannot be read by the duckdb"),
        (f"SELECT * FROM cos://us-south/{BUCKET}/shared/ STORED AS AVRO", "STORED AS AVRO cannot be read"),
        ("SELECT * FROM 'file:///etc/passwd'", "files cannot be read by name"),
        ("SELECT * FROM read_csv('http://127.0.0.1/x.csv')", "not allowed"),
        ("SELECT * FROM '/etc/passwd'", "files cannot be read by name"),
        (f"SELECT 1 INTO $__dest(csv) INTO cos://us-south/{BUCKET}/dest/ STORED AS CSV", "not both"),
    ],
)
def test_hostile_locations_are_400s(
    plugin: tuple[PluginProcess, pb.PluginContext, CosStore], sql: str, message: str
) -> None:
    _, _, store = plugin
    answer = _ask(plugin, sql)
    assert answer.status == 400 and message in answer.error, answer.error
    assert len(store.list("secret/").objects) == len(READABLE)  # nothing written there


def _meta(answer: pb.DataResponse) -> str:
    assert answer.status == 200, answer.error
    (table,) = decode_frames(answer)
    return table.schema.metadata[b"meta"].decode()


def test_a_location_says_what_it_left_out(plugin: tuple[PluginProcess, pb.PluginContext, CosStore]) -> None:
    damaged = f"cos://us-south/{BUCKET}/{DAMAGED_FOLDER}ibm_vpc_flowlogs_v1/ STORED AS JSON"
    filtered = _ask(plugin, f"SELECT count(*) AS n FROM {damaged} WHERE capture_start_time >= TIMESTAMP '2020-07-01'")
    assert _rows(filtered) == [(1,)]
    assert "could not be read" in _meta(filtered)
    unfiltered = _meta(_ask(plugin, f"SELECT count(*) AS n FROM {SHARED} STORED AS JSON"))
    assert "the dashboard range was applied" in unfiltered


def test_cached_answers_are_kept_per_location(plugin: tuple[PluginProcess, pb.PluginContext, CosStore]) -> None:
    """Both statements are ``SELECT n FROM __EXTERNAL_1`` for the engine: the location is in the cache key."""
    _, context, _ = plugin
    settings = json.loads(context.dataSourceInstanceSettings.jsonData)
    cached = datasource_context(
        {**settings, "cacheTtlSeconds": 300},
        {"hmacAccessKeyId": HMAC_ID, "hmacSecretAccessKey": HMAC_SECRET},
        uid="ibm-cached",
    )
    for n in (1, 2):
        _rows(_ask(plugin, f"SELECT {n} AS n INTO cos://us-south/{BUCKET}/dest/n{n}/ JOBPREFIX NONE STORED AS CSV"))
    for n in (1, 2, 1, 2):
        read = f"SELECT n FROM cos://us-south/{BUCKET}/dest/n{n}/ STORED AS CSV"
        assert _rows(_ask(plugin, read, cached)) == [(n,)]
