"""The estimate equals what the query then reads (issue 26), through the plugin process.

For each source — the hand-made objects (damaged ones included) in a local folder and on the S3
test server, and the realistic generator's week — the ``estimate`` endpoint is asked first, then
the query runs: on a cold ingest cache the estimate's objects and bytes must be exactly the answer's
"Objects read" and "Bytes downloaded" (its listed objects the answer's listed ones). Then a wider
range, partly held by the ingest cache: what the estimate says the cache holds must be the answer's
ingest-cache hits, and the rest exactly what it downloads. Asked again, the estimate finds it all
in the ingest cache and the answer in the result cache.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cloudsql_cos_ts.flowlogs.generator import GenerationSummary
from cloudsql_cos_ts.proto import backend_pb2 as pb
from cloudsql_cos_ts.settings.datasource import Credentials
from cloudsql_cos_ts.settings.secret import Secret
from cloudsql_cos_ts.storage.cos import CosStore
from tests.flowlogs.conftest import WEEK_END
from tests.plugin_host import PluginProcess, data_query, datasource_context, decode_frames, frame_meta
from tests.real_objects.cases import CASES, write
from tests.storage.conftest import BUCKET, HMAC_ID, HMAC_SECRET, s3_endpoint  # noqa: F401 (fixture)

SQL = "SELECT count(*) AS n FROM FLOW_FLAT WHERE $__timeFilterColumn(start_time, string)"
HAND_MADE_DAY = datetime(2020, 7, 1, tzinfo=UTC)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@dataclass(frozen=True)
class Source:
    """A datasource over one bucket, and a narrow range inside a wide one (both hold objects)."""

    context: pb.PluginContext
    narrow: tuple[int, int]
    wide: tuple[int, int]
    partial: bool = False  # the wide range holds objects the narrow one does not read


@pytest.fixture(scope="module")
def plugin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PluginProcess]:
    process = PluginProcess(cache_dir=tmp_path_factory.mktemp("estimate") / "cache").start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def sources(
    tmp_path_factory: pytest.TempPathFactory, s3_endpoint: str, week_set: tuple[Path, GenerationSummary]  # noqa: F811
) -> dict[str, Source]:
    folder = tmp_path_factory.mktemp("estimate-bucket")
    write(folder, damaged=True)
    hmac = Credentials(auth="hmac", hmac_access_key_id=Secret(HMAC_ID), hmac_secret_access_key=Secret(HMAC_SECRET))
    store = CosStore(s3_endpoint, BUCKET, hmac)
    for case in CASES:
        store.put(f"estimate/{case.key}", case.body)
    hand_made = (_ms(HAND_MADE_DAY.replace(hour=20, minute=30)), _ms(HAND_MADE_DAY.replace(hour=20, minute=59)))
    whole_evening = (_ms(HAND_MADE_DAY.replace(hour=19)), _ms(HAND_MADE_DAY.replace(hour=23)))
    week = (_ms(WEEK_END - timedelta(days=7)), _ms(WEEK_END))
    return {
        "hand-made, local folder": Source(
            datasource_context({"source": str(folder)}, uid="estimate-local"), hand_made, whole_evening
        ),
        "hand-made, S3 test server": Source(
            datasource_context(
                {"source": f"cos://us-south/{BUCKET}/estimate/", "cosEndpoint": s3_endpoint, "authType": "hmac"},
                {"hmacAccessKeyId": HMAC_ID, "hmacSecretAccessKey": HMAC_SECRET},
                uid="estimate-s3",
            ),
            hand_made,
            whole_evening,
        ),
        "generator, 2 vNICs x 7 days": Source(
            datasource_context({"source": str(week_set[0])}, uid="estimate-week"),
            (week[1] - 6 * 3_600_000, week[1] - 3_600_000),
            week,
            partial=True,
        ),
    }


def estimate(plugin: PluginProcess, source: Source, window: tuple[int, int]) -> dict[str, Any]:
    body = {"query": {"refId": "A", "rawSql": SQL, "format": "table"}, "range": {"from": window[0], "to": window[1]}}
    status, answer = plugin.call_resource("estimate", "POST", json.dumps(body).encode(), source.context)
    assert status == 200, answer
    return answer


def read(plugin: PluginProcess, source: Source, window: tuple[int, int]) -> dict[str, Any]:
    """The answer's ``meta.stats`` by display name."""
    query = data_query("A", {"rawSql": SQL, "format": "table"}, from_ms=window[0], to_ms=window[1])
    answer = plugin.query(query, context=source.context, timeout=120)["A"]
    assert answer.status == 200, answer.error
    return {stat["displayName"]: stat["value"] for stat in frame_meta(decode_frames(answer)[0])["stats"]}


NAMES = ["hand-made, local folder", "hand-made, S3 test server", "generator, 2 vNICs x 7 days"]


@pytest.mark.parametrize("name", NAMES)
def test_the_estimate_is_what_the_query_then_reads(
    plugin: PluginProcess, sources: dict[str, Source], name: str
) -> None:
    source = sources[name]
    cold = estimate(plugin, source, source.narrow)
    stats = read(plugin, source, source.narrow)
    assert cold["objects"] > 0 and cold["exact"] and cold["ingestCache"] == {"objects": 0, "bytes": 0}
    assert (cold["objects"], cold["bytes"], cold["listedObjects"]) == (
        stats["Objects read"],
        stats["Bytes downloaded"],
        stats["Objects listed"],
    )
    assert cold["objects"] == stats["Objects listed"] - stats["Objects pruned"]

    wider = estimate(plugin, source, source.wide)
    stats = read(plugin, source, source.wide)
    assert 0 < wider["ingestCache"]["objects"] <= wider["objects"]
    assert (wider["ingestCache"]["objects"] < wider["objects"]) == source.partial
    assert wider["ingestCache"]["objects"] == stats["Ingest-cache hits"]
    assert wider["objects"] - wider["ingestCache"]["objects"] == stats["Objects read"]
    assert wider["bytes"] - wider["ingestCache"]["bytes"] == stats["Bytes downloaded"]

    again = estimate(plugin, source, source.wide)
    assert again["ingestCache"] == {"objects": wider["objects"], "bytes": wider["bytes"]}
    assert again["resultCached"] and again["budget"] == {
        "kind": "query", "maxObjects": None, "maxBytes": None, "exceeded": False
    }
    assert again["oldest"] <= again["newest"] and again["engine"] == "duckdb" and again["notes"] == []
