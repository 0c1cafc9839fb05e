"""Stats on every answer, through the plugin process over the hand-made objects (issue 26 item 2).

The bucket holds every hand-made object, the two damaged ones included, all between 20:26 and 21:07
on 2020-07-01. What a query must read is counted here from the objects themselves (their bodies and
records), not from the plugin: the answer's ``meta.stats`` must give exactly that, a cache hit must
say it read nothing, and the metrics must have grown by the same figures.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cloudsql_cos_ts.proto import backend_pb2 as pb
from tests.plugin_host import PluginProcess, data_query, datasource_context, decode_frames, frame_meta
from tests.real_objects.cases import CASES, DAMAGED, readable_records, write
from tests.real_objects.serving import FROM_MS, TO_MS

COUNT_SQL = "SELECT count(*) AS n FROM FLOW_FLAT"
UNITS = {"Bytes downloaded": "decbytes", "Time queued": "ms", "Time running": "ms"}


@dataclass
class Bucket:
    plugin: PluginProcess
    folder: Path

    def ask(self, uid: str, sql: str = COUNT_SQL) -> pb.DataResponse:
        """A fresh ``uid`` is a new datasource (its own listing); the ingest cache is the process's."""
        query = data_query(
            "A", {"rawSql": sql, "format": "table", "cacheTtlSeconds": 300}, from_ms=FROM_MS, to_ms=TO_MS
        )
        answer = self.plugin.query(query, context=datasource_context({"source": str(self.folder)}, uid=uid))["A"]
        assert answer.status == 200, answer.error
        return answer

    def metrics(self) -> dict[str, float]:
        events = ("listed", "pruned", "read", "cached", "damaged")
        figures = {e: self.plugin.metric("cloudsql_cos_ts_source_objects_total", event=e) for e in events}
        figures["bytes"] = self.plugin.metric("cloudsql_cos_ts_source_bytes_total")
        figures["records"] = self.plugin.metric("cloudsql_cos_ts_source_records_total")
        figures["hits"] = self.plugin.metric("cloudsql_cos_ts_result_cache_total", event="hit")
        return figures


@pytest.fixture(scope="module")
def bucket(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bucket]:
    root = tmp_path_factory.mktemp("stats")
    write(root / "bucket", damaged=True)
    process = PluginProcess(cache_dir=root / "cache").start()
    yield Bucket(process, root / "bucket")
    process.stop()


def stats_of(answer: pb.DataResponse) -> dict[str, Any]:
    """``meta.stats`` by display name; every stat has Grafana's QueryStat shape and its unit."""
    stats = frame_meta(decode_frames(answer)[0])["stats"]
    for stat in stats:
        assert set(stat) == {"displayName", "value", "unit"}
        assert stat["unit"] == UNITS.get(stat["displayName"], "none")
    return {stat["displayName"]: stat["value"] for stat in stats}


def exact(stats: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in stats.items() if not name.startswith("Time ")}


def test_the_first_answer_counts_what_it_read_and_the_metrics_agree(bucket: Bucket) -> None:
    before = bucket.metrics()
    stats = stats_of(bucket.ask("stats-first"))
    assert exact(stats) == {
        "Objects listed": len(CASES),
        "Objects pruned": 0,  # every object's window lies in the range
        "Objects read": len(CASES),  # the damaged ones are downloaded too, then left out
        "Ingest-cache hits": 0,
        "Objects skipped as damaged": len(DAMAGED),
        "Bytes downloaded": sum(len(case.body) for case in CASES),
        "Records decoded": len(readable_records()),
        "Result-cache hit": 0,
        "Engine runs (duckdb)": 1,
    }
    assert stats["Time queued"] >= 0 and stats["Time running"] > 0
    after = bucket.metrics()
    grown = {name: after[name] - before[name] for name in after}
    assert grown == {
        "listed": len(CASES),
        "pruned": 0,
        "read": len(CASES),
        "cached": 0,
        "damaged": len(DAMAGED),
        "bytes": sum(len(case.body) for case in CASES),
        "records": len(readable_records()),
        "hits": 0,
    }


def test_a_second_datasource_reads_through_the_ingest_cache(bucket: Bucket) -> None:
    bucket.ask("stats-warm")  # the ingest cache now holds every object
    stats = exact(stats_of(bucket.ask("stats-warm-again", sql=f"{COUNT_SQL} WHERE action = 'rejected'")))
    assert stats["Objects listed"] == len(CASES) and stats["Objects read"] == 0 and stats["Bytes downloaded"] == 0
    assert stats["Ingest-cache hits"] == len(CASES) and stats["Records decoded"] == 0
    assert stats["Objects skipped as damaged"] == len(DAMAGED)  # still left out, without reading them again


def test_a_cache_hit_says_it_read_nothing(bucket: Bucket) -> None:
    bucket.ask("stats-hit")
    before = bucket.metrics()
    stats = stats_of(bucket.ask("stats-hit"))
    assert stats == {
        "Objects listed": 0,
        "Objects pruned": 0,
        "Objects read": 0,
        "Ingest-cache hits": 0,
        "Objects skipped as damaged": 0,
        "Bytes downloaded": 0,
        "Records decoded": 0,
        "Result-cache hit": 1,
        "Engine runs (duckdb)": 0,
        "Time queued": 0,
        "Time running": 0,
    }
    after = bucket.metrics()
    assert {name: after[name] - before[name] for name in after if after[name] != before[name]} == {"hits": 1}
