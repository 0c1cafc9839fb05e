"""The plugin process reads a lake in the S3 test server: the same answers, one download per settled day.

Two plugin processes with their own ingest caches answer the bundled dashboard's queries over the
same bucket, one through the lake and one from the raw objects only; a third, also fresh, meets a
damaged part. A lake location outside the datasource's locations is refused on every path.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.flowlogs.ingest import IngestCache
from cloudsql_cos_ts.flowlogs.lake.compact import RawSource, compact_day
from cloudsql_cos_ts.flowlogs.lake.layout import open_lake
from cloudsql_cos_ts.proto import backend_pb2 as pb
from cloudsql_cos_ts.settings.datasource import Credentials
from cloudsql_cos_ts.settings.locations import parse_location
from cloudsql_cos_ts.settings.secret import Secret
from cloudsql_cos_ts.storage.cos import CosStore
from tests.dashboard.shipped import load_models
from tests.flowlogs.lake.conftest import DAY
from tests.plugin_host import PluginProcess, data_query, datasource_context, decode_frames, frame_meta
from tests.storage.conftest import BUCKET, HMAC_ID, HMAC_SECRET, s3_endpoint  # noqa: F401 (fixture)

RAW, LAKE = "lake-raw/", "lake-parts/"
HMAC = Credentials(auth="hmac", hmac_access_key_id=Secret(HMAC_ID), hmac_secret_access_key=Secret(HMAC_SECRET))
SECURE = {"hmacAccessKeyId": HMAC_ID, "hmacSecretAccessKey": HMAC_SECRET}
_DAY_START = datetime(DAY.year, DAY.month, DAY.day, tzinfo=UTC)
WINDOW = (int(_DAY_START.timestamp() * 1000), int((_DAY_START + timedelta(days=1)).timestamp() * 1000) - 1)
# The bundled dashboard's queries by panel (panel 3 is a chained pair), the variable, the alert rule and FLOW.
PANELS = {
    "target_ip": ("target_ip",),
    **{f"P{n}": (f"P{n}",) for n in (2, 4, 5, 6, 7, 8, 9)},
    "P3": ("P3A", "P3B"),
    "alert": ("alert",),
    "FLOW": ("FLOW",),
}
FLOW_SQL = (
    "SELECT count(*) AS objects, sum(number_of_flow_logs) AS records, sum(size(flow_logs)) AS stored FROM FLOW "
    "WHERE $__timeFilterColumn(capture_start_time, timestamp)"
)


@dataclass(frozen=True)
class Bucket:
    endpoint: str
    store: CosStore
    lake_json: dict[str, Any]
    raw_json: dict[str, Any]
    part_key: str


@pytest.fixture(scope="module")
def bucket(s3_endpoint: str, lake_day_source: Path) -> Bucket:  # noqa: F811
    store = CosStore(s3_endpoint, BUCKET, HMAC)
    files = [p for p in lake_day_source.rglob("*") if p.is_file()]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda p: store.put(RAW + str(p.relative_to(lake_day_source)), p.read_bytes()), files))
    source_url, lake_url = f"cos://us-south/{BUCKET}/{RAW}", f"cos://us-south/{BUCKET}/{LAKE}"
    destination = str(lake_day_source.parent / "lake-plugin-results")  # panel 3 writes its first query there
    raw_json = {"source": source_url, "destination": destination, "cosEndpoint": s3_endpoint, "authType": "hmac"}
    lake = open_lake(
        parse_location(lake_url, field="lake", endpoint_override=s3_endpoint),
        parse_location(source_url, field="source", endpoint_override=s3_endpoint),
        HMAC,
    )
    cache = IngestCache(lake_day_source.parent / "lake-plugin-compactor", 1 << 30)
    result = compact_day(RawSource(store, RAW), lake, DAY, cache=cache, cancel=CancelToken())
    assert result.status == "written"
    lake_json = {**raw_json, "allowedLocations": [lake_url], "lakeLocation": lake_url}
    return Bucket(s3_endpoint, store, lake_json, raw_json, result.part)


def _plugin(tmp_path_factory: pytest.TempPathFactory, name: str) -> PluginProcess:
    return PluginProcess(cache_dir=tmp_path_factory.mktemp(name) / "cache").start()


@pytest.fixture(scope="module")
def plugins(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, PluginProcess]]:
    started = {name: _plugin(tmp_path_factory, name) for name in ("raw", "lake")}
    yield started
    for process in started.values():
        process.stop()


def models() -> dict[str, dict[str, Any]]:
    """The queries by name; a top-N panel keeps its whole ranking (rows tied at the cut could be either)."""
    found = {
        name: {**model, "rawSql": re.sub(r"\s+LIMIT\s+\d+\s*$", "", model["rawSql"])}
        for name, model in load_models().items()
    }
    found["FLOW"] = {"rawSql": FLOW_SQL, "format": "table"}
    return found


def ask(plugin: PluginProcess, json_data: dict[str, Any], panel: str, target: str) -> pb.DataResponse:
    """The panel's answer (its last query's: a chained pair runs as A then B in one request)."""
    queries = [
        data_query(
            ref,
            {**model, "rawSql": model["rawSql"].replace("${target_ip}", target)},
            from_ms=WINDOW[0],
            to_ms=WINDOW[1],
        )
        for ref, model in zip("AB", (models()[name] for name in PANELS[panel]), strict=False)
    ]
    context = datasource_context(json_data, SECURE, uid="lake" if "lakeLocation" in json_data else "raw")
    return plugin.query(*queries, context=context, timeout=240)[queries[-1].refId]


def content(answer: pb.DataResponse) -> list[tuple[list[tuple[str, pa.DataType]], list[str]]]:
    """The frames without their meta (stats and notices differ by design), rows in a fixed order."""
    assert answer.status == 200, answer.error
    return [([(f.name, f.type) for f in t.schema], sorted(map(repr, t.to_pylist()))) for t in decode_frames(answer)]


def source_stats(answer: pb.DataResponse) -> dict[str, Any]:
    return dict(frame_meta(decode_frames(answer)[0])["custom"]["source"])


def notices(answer: pb.DataResponse) -> list[str]:
    return [n["text"] for n in frame_meta(decode_frames(answer)[0]).get("notices", [])]


@pytest.fixture(scope="module")
def target(plugins: dict[str, PluginProcess], bucket: Bucket) -> str:
    answer = ask(plugins["raw"], bucket.raw_json, "target_ip", "")
    assert answer.status == 200, answer.error
    return str(decode_frames(answer)[0].column("target_ip")[0])


def test_a_fresh_plugin_reads_the_settled_day_from_one_part(
    plugins: dict[str, PluginProcess], bucket: Bucket, target: str
) -> None:
    lake = source_stats(ask(plugins["lake"], bucket.lake_json, "P5", target))
    assert lake["lake_parts"] == 1 and lake["lake_bytes"] > 0
    assert lake["objects_read"] < lake["objects_needed"] / 10  # only the hours at the edges of the range


@pytest.mark.parametrize("panel", list(PANELS))
def test_answers_are_the_same_with_and_without_the_lake(
    plugins: dict[str, PluginProcess], bucket: Bucket, target: str, panel: str
) -> None:
    raw = ask(plugins["raw"], bucket.raw_json, panel, target)
    lake = ask(plugins["lake"], bucket.lake_json, panel, target)
    assert content(raw) == content(lake) and any(rows for _, rows in content(lake))
    assert notices(lake) == notices(raw)


def test_a_damaged_part_falls_back_to_the_raw_objects_with_a_notice(
    plugins: dict[str, PluginProcess], bucket: Bucket, target: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    original, _ = bucket.store.get(bucket.part_key)
    damaged = original[:100] + bytes([original[100] ^ 0xFF]) + original[101:]  # same size, other bytes
    bucket.store.put(bucket.part_key, damaged)
    fresh = _plugin(tmp_path_factory, "damaged-lake")
    try:
        answer = ask(fresh, bucket.lake_json, "P4", target)
        assert content(answer) == content(ask(plugins["raw"], bucket.raw_json, "P4", target))
        (notice,) = [text for text in notices(answer) if "flow lake" in text]
        assert str(DAY) in notice and "checksum" in notice and "compact" in notice
        assert source_stats(answer)["lake_parts"] == 0
    finally:
        fresh.stop()
        bucket.store.put(bucket.part_key, original)


@pytest.mark.parametrize(
    "lake_location",
    ["cos://us-south/{bucket}/elsewhere/", "cos://us-south/other-bucket/lake-parts/", "/tmp/lake"],
    ids=["another prefix", "another bucket", "a local folder"],
)
def test_a_lake_outside_the_datasources_locations_is_refused(
    plugins: dict[str, PluginProcess], bucket: Bucket, lake_location: str
) -> None:
    json_data = {**bucket.raw_json, "lakeLocation": lake_location.format(bucket=BUCKET)}
    context = datasource_context(json_data, SECURE, uid="outside")
    answer = plugins["raw"].query(data_query("A", models()["P5"], from_ms=WINDOW[0], to_ms=WINDOW[1]), context=context)
    assert answer["A"].status == 400 and "lakeLocation" in answer["A"].error and "outside" in answer["A"].error
    health = plugins["raw"].diagnostics.CheckHealth(pb.CheckHealthRequest(pluginContext=context), timeout=60)
    assert health.status == pb.CheckHealthResponse.ERROR
    assert "lakeLocation" in health.message and "allowedLocations" in health.message
