"""Run QueryData's pipeline in this process, for one datasource configuration, and read the frames.

The plugin executable under test is the PyInstaller bundle, which leaves the optional pyspark client
out; the engine comparison therefore drives the same pipeline (macros, dialect, engine, shaping,
encoding) in-process, once per engine, over the same data.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.instances import InstanceManager
from cloudsql_cos_ts.proto import backend_pb2 as pb
from cloudsql_cos_ts.query.answer import QueryAnswer
from cloudsql_cos_ts.query.pipeline import QueryPipeline
from cloudsql_cos_ts.settings.plugin import PluginSettings
from tests.plugin_host import datasource_context

# Frame meta that names the engine's own work, not the answer: the SQL it ran, what it read and what that cost.
ENGINE_META = ("executedQueryString", "stats")
ENGINE_CUSTOM_META = ("source",)


@dataclass
class Answer:
    status: int
    error: str
    frames: list[pa.Table]

    @staticmethod
    def of(answer: QueryAnswer) -> Answer:
        frames = [pa.ipc.open_file(pa.py_buffer(frame)).read_all() for frame in answer.frames]
        return Answer(answer.status, answer.error, frames)


def answer_meta(table: pa.Table) -> dict[str, Any]:
    """The frame's ``meta`` without what depends on the engine (executed SQL, source statistics)."""
    meta: dict[str, Any] = json.loads((table.schema.metadata or {}).get(b"meta", b"{}"))
    for key in ENGINE_META:
        meta.pop(key, None)
    for key in ENGINE_CUSTOM_META:
        meta.get("custom", {}).pop(key, None)
    return meta


class InProcessPlugin:
    """One datasource (its jsonData) answered by the in-process pipeline."""

    def __init__(
        self, json_data: Mapping[str, Any], cache_dir: Path, uid: str, secure: Mapping[str, str] | None = None
    ) -> None:
        self.instances = InstanceManager(PluginSettings(cache_dir=cache_dir))
        self.executor = ThreadPoolExecutor(max_workers=4)
        self.pipeline = QueryPipeline(self.instances, self.executor)
        self.context = datasource_context(json_data, secure=secure, uid=uid)

    def run(self, *queries: pb.DataQuery, from_alert: bool = False, timeout_s: float = 120) -> dict[str, Answer]:
        cancel = CancelToken(timeout_s, expiry="deadline")
        headers = {"X-Cache-Skip": "true"} | ({"FromAlert": "true"} if from_alert else {})
        request = pb.QueryDataRequest(pluginContext=self.context, headers=headers, queries=queries)
        try:
            answers = self.pipeline.run(request, lambda: cancel)
        finally:
            cancel.close()
        answers.releaser()()  # read here, not sent: their memory accounts go back now
        return {ref: Answer.of(answer) for ref, answer in answers.by_ref.items()}

    def close(self) -> None:
        self.instances.close()
        self.executor.shutdown()
