"""Spark over the flow lake: a settled day from its Parquet part, the range's other hours from raw objects.

One real Spark Connect server, two datasources on the same local folder — one without a lake, one
with a lake holding the first day — answer the same queries with the same frames (names, types,
values); the lake one reads the day's part (``lake_parts`` in its statistics). A damaged part makes
the day come from the raw objects again, with the same answer and a notice. The same day in the S3 test
server's bucket is read through S3A. Few queries: each costs Spark seconds.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.flowlogs.generator import generate
from cloudsql_cos_ts.flowlogs.ingest import IngestCache
from cloudsql_cos_ts.flowlogs.lake.compact import RawSource, compact_range
from cloudsql_cos_ts.flowlogs.lake.layout import LakeSource, open_lake
from cloudsql_cos_ts.flowlogs.lake.manifest import read_manifest
from cloudsql_cos_ts.settings.datasource import Credentials
from cloudsql_cos_ts.settings.locations import LocalLocation, parse_location
from cloudsql_cos_ts.settings.secret import Secret
from cloudsql_cos_ts.storage.cos import CosStore
from cloudsql_cos_ts.storage.local import LocalStore
from tests.dashboard.expected import epoch_ms
from tests.engines.inprocess import Answer, InProcessPlugin, answer_meta
from tests.plugin_host import data_query
from tests.storage.conftest import BUCKET, HMAC_ID, HMAC_SECRET, s3_endpoint  # noqa: F401 (fixture)

START, END = datetime(2024, 5, 6, tzinfo=UTC), datetime(2024, 5, 7, 3, tzinfo=UTC)  # a whole day and 3 hours
DAY = date(2024, 5, 6)
QUERIES = {
    "rows": ("SELECT * FROM FLOW_FLAT", {}),
    "rejected": (
        "SELECT initiator_ip, count(*) AS n FROM FLOW_FLAT WHERE action = 'rejected' "
        "AND $__timeFilterColumn(connection_start_time, timestamp) GROUP BY initiator_ip",
        {},
    ),
    "series": (
        "SELECT $__timeGroup(start_time, '1h') AS time, count(*) AS flows FROM FLOW_FLAT "
        "WHERE $__timeFilterColumn(start_time, string) GROUP BY 1 ORDER BY 1",
        {"format": "time_series", "timeColumn": "time"},
    ),
}


@dataclass
class Lab:
    raw: InProcessPlugin
    lake: InProcessPlugin
    store: LakeSource


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, spark_url: str) -> Iterator[Lab]:
    root = tmp_path_factory.mktemp("spark-lake")
    data, lake_folder = root / "flowlogs", root / "lake"
    generate(data, vnics=2, start=START, end=END, records_per_object=5, seed=11)
    lake = open_lake(LocalLocation(lake_folder), LocalLocation(data), Credentials())
    raw_source = RawSource(LocalStore(data), "", f"{data}/")
    compactor = IngestCache(root / "compactor", 10**9)
    results = compact_range(raw_source, lake, DAY, DAY, cache=compactor, cancel=CancelToken())
    assert [result.status for result in results] == ["written"]
    spark = {"engine": "spark", "sparkUrl": spark_url, "source": str(data), "destination": str(root / "dest")}
    with_lake = {**spark, "lakeLocation": str(lake_folder), "allowedLocations": [str(lake_folder)]}
    raw, lake_plugin = InProcessPlugin(spark, root / "c1", "raw"), InProcessPlugin(with_lake, root / "c2", "lake")
    yield Lab(raw, lake_plugin, lake)
    raw.close()
    lake_plugin.close()


def ask(plugin: InProcessPlugin, name: str) -> Answer:
    sql, model = QUERIES[name]
    query = data_query("A", {"rawSql": sql, **model}, from_ms=epoch_ms(START), to_ms=epoch_ms(END))
    answer = plugin.run(query)["A"]
    assert answer.status == 200, answer.error
    return answer


def values(answer: Answer) -> list[list[tuple[Any, ...]]]:
    """Each frame's rows, sorted (row order is the engine's where the SQL gives none)."""
    return [sorted(map(repr, (tuple(row.values()) for row in frame.to_pylist()))) for frame in answer.frames]


def same(raw: Answer, lake: Answer) -> None:
    assert [frame.schema for frame in raw.frames] == [frame.schema for frame in lake.frames]
    assert values(raw) == values(lake) and any(values(raw))


def source_stats(answer: Answer) -> dict[str, Any]:
    meta = answer.frames[0].schema.metadata[b"meta"]
    return dict(json.loads(meta)["custom"]["source"])


def test_the_settled_day_comes_from_its_part_with_the_raw_answers(lab: Lab) -> None:
    for name in QUERIES:
        raw, lake = ask(lab.raw, name), ask(lab.lake, name)
        same(raw, lake)
        assert answer_meta(raw.frames[0]).get("notices") == answer_meta(lake.frames[0]).get("notices")
        assert (source_stats(raw)["lake_parts"], source_stats(lake)["lake_parts"]) == (0, 1)
        assert source_stats(lake)["hour_folders_read"] < source_stats(raw)["hour_folders_read"]


def test_a_damaged_part_falls_back_to_the_raw_objects_with_a_notice(lab: Lab) -> None:
    manifest = read_manifest(lab.store, DAY)
    assert manifest is not None
    part = Path(lab.store.store.root) / lab.store.part_key(DAY, manifest.part)  # type: ignore[attr-defined]
    part.write_bytes(b"not a parquet file")
    raw, lake = ask(lab.raw, "rows"), ask(lab.lake, "rows")
    same(raw, lake)
    assert source_stats(lake)["lake_parts"] == 0
    notices = [notice["text"] for notice in answer_meta(lake.frames[0]).get("notices", [])]
    assert any(f"partition of {DAY}" in text and "could not be used" in text for text in notices), notices


def test_a_lake_in_cos_is_read_through_s3a(
    tmp_path: Path,
    spark_url: str,
    s3_endpoint: str,  # noqa: F811 (the fixture)
) -> None:
    """The same day in the S3 test server's bucket: the part reaches Spark through S3A with the datasource's keys."""
    keys = Credentials(auth="hmac", hmac_access_key_id=Secret(HMAC_ID), hmac_secret_access_key=Secret(HMAC_SECRET))
    raw_prefix, lake_prefix = "spark-lake/raw/", "spark-lake/lake/"
    generate(
        CosStore(s3_endpoint, BUCKET, keys), prefix=raw_prefix, vnics=1, start=START, end=END, records_per_object=3
    )
    source = parse_location(f"cos://us-south/{BUCKET}/{raw_prefix}", field="source", endpoint_override=s3_endpoint)
    lake = parse_location(f"cos://us-south/{BUCKET}/{lake_prefix}", field="lake", endpoint_override=s3_endpoint)
    raw_source = RawSource(CosStore(s3_endpoint, BUCKET, keys), raw_prefix)
    results = compact_range(
        raw_source,
        open_lake(lake, source, keys),
        DAY,
        DAY,
        cache=IngestCache(tmp_path / "c", 10**9),
        cancel=CancelToken(),
    )
    assert [result.status for result in results] == ["written"]
    cos = {
        "engine": "spark",
        "sparkUrl": spark_url,
        "cosEndpoint": s3_endpoint,
        "authType": "hmac",
        "source": f"cos://us-south/{BUCKET}/{raw_prefix}",
        "destination": str(tmp_path / "dest"),
    }
    with_lake = {
        **cos,
        "lakeLocation": f"cos://us-south/{BUCKET}/{lake_prefix}",
        "allowedLocations": [f"cos://us-south/{BUCKET}/{lake_prefix}"],
    }
    secure = {"hmacAccessKeyId": HMAC_ID, "hmacSecretAccessKey": HMAC_SECRET}
    plugins = [
        InProcessPlugin(settings, tmp_path / name, name, secure) for name, settings in (("r", cos), ("l", with_lake))
    ]
    try:
        raw, from_lake = (ask(plugin, "rows") for plugin in plugins)
    finally:
        for plugin in plugins:
            plugin.close()
    same(raw, from_lake)
    assert source_stats(from_lake)["lake_parts"] == 1
