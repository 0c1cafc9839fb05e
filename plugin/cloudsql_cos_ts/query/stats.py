"""What an answer read and what it cost: the figures of every answer's ``meta.stats`` and of the metrics.

Object storage has no planner to ask what a query will cost, so each answer says what it did: how
many source objects were listed, pruned, downloaded, served by the ingest cache or skipped as
damaged, how many bytes came down, how many records were decoded, whether the result cache
answered, and how long the query waited and ran. Grafana shows ``meta.stats`` in the Query
inspector's Stats tab; the same figures are counted in the metrics (CollectMetrics), so a dashboard
of the plugin shows what all queries read. A result-cache hit reads and runs nothing: its figures
are zero except the hit itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cloudsql_cos_ts import metrics
from cloudsql_cos_ts.frames.meta import QueryStat


@dataclass(frozen=True)
class AnswerStats:
    engine: str
    objects_listed: int = 0
    objects_pruned: int = 0  # listed, but outside the query's range: never read
    objects_read: int = 0  # downloaded from the source
    ingest_cache_hits: int = 0  # needed objects the ingest cache already held
    objects_damaged: int = 0  # needed, unreadable, left out
    bytes_downloaded: int = 0
    records_decoded: int = 0
    result_cache_hit: bool = False
    engine_runs: int = 0
    queued_ms: float = 0.0  # from the request's arrival to the engine's start (pool, $__source_prev inputs)
    running_ms: float = 0.0  # the engine's run, gap filling, shaping and encoding

    @staticmethod
    def of_run(
        engine: str, source: Mapping[str, Any], *, damaged: int, queued_s: float, running_s: float
    ) -> AnswerStats:
        """The figures of an engine run, from the counts its source reported (``ExecutionResult.stats``)."""

        def count(name: str) -> int:
            value = source.get(name, 0)
            return int(value) if isinstance(value, int | float) else 0

        return AnswerStats(
            engine=engine,
            objects_listed=count("objects_listed"),
            # An engine that says how many listed objects the range needs has pruned the rest.
            objects_pruned=count("objects_listed") - count("objects_needed") if "objects_needed" in source else 0,
            objects_read=count("objects_read"),
            ingest_cache_hits=count("objects_cached"),
            objects_damaged=damaged,
            bytes_downloaded=count("bytes_read"),
            records_decoded=count("records_decoded"),
            engine_runs=1,
            queued_ms=round(queued_s * 1000, 1),
            running_ms=round(running_s * 1000, 1),
        )

    @staticmethod
    def of_hit(engine: str) -> AnswerStats:
        return AnswerStats(engine=engine, result_cache_hit=True)

    def query_stats(self) -> list[QueryStat]:
        """In the order the Query inspector lists them."""
        return [
            QueryStat("Objects listed", self.objects_listed),
            QueryStat("Objects pruned", self.objects_pruned),
            QueryStat("Objects read", self.objects_read),
            QueryStat("Ingest-cache hits", self.ingest_cache_hits),
            QueryStat("Objects skipped as damaged", self.objects_damaged),
            QueryStat("Bytes downloaded", self.bytes_downloaded, "decbytes"),
            QueryStat("Records decoded", self.records_decoded),
            QueryStat("Result-cache hit", int(self.result_cache_hit)),
            QueryStat(f"Engine runs ({self.engine})", self.engine_runs),
            QueryStat("Time queued", self.queued_ms, "ms"),
            QueryStat("Time running", self.running_ms, "ms"),
        ]

    def count(self) -> None:
        """Add an engine run's figures to the metrics (hits are counted by the result cache)."""
        for event, value in (
            ("listed", self.objects_listed),
            ("pruned", self.objects_pruned),
            ("read", self.objects_read),
            ("cached", self.ingest_cache_hits),
            ("damaged", self.objects_damaged),
        ):
            if value:
                metrics.labelled(metrics.OBJECTS_READ, event).inc(value)
        if self.bytes_downloaded:
            metrics.SOURCE_BYTES.inc(self.bytes_downloaded)
        if self.records_decoded:
            metrics.SOURCE_RECORDS.inc(self.records_decoded)
        metrics.labelled(metrics.QUERY_QUEUED, self.engine).observe(self.queued_ms / 1000)
        metrics.labelled(metrics.QUERY_RUNNING, self.engine).observe(self.running_ms / 1000)
