"""The plugin killed (SIGKILL) while its follower publishes a day: nothing a reader takes as complete is left
half-written, readers answer from the raw objects, and the next compaction completes the day.

The S3 front holds the follower's manifest PUT — the part is uploaded by then — until the plugin process
is killed, then refuses it: the moment a crash does the most harm.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.errors import NotFound
from cloudsql_cos_ts.flowlogs.ingest import IngestCache
from cloudsql_cos_ts.flowlogs.lake.compact import RawSource, compact_day
from cloudsql_cos_ts.flowlogs.lake.layout import LakeSource, open_lake
from cloudsql_cos_ts.flowlogs.lake.manifest import read_manifest
from cloudsql_cos_ts.settings.locations import parse_location
from cloudsql_cos_ts.storage.cos import CosStore
from tests.flowlogs.lake.conftest import generate_day
from tests.flowlogs.lake.test_follow_plugin import DAY, DAY_FOLDER, FAST, KEYS
from tests.plugin_host import PluginProcess, data_query, datasource_context, decode_frames, frame_meta
from tests.storage.conftest import BUCKET, HMAC_ID, HMAC_SECRET, s3_endpoint  # noqa: F401 (fixture)
from tests.storage.s3_front import Refusal, S3Front

RAW, LAKE = "killed/raw/", "killed/lake/"
SQL = "SELECT count(*) AS n, sum(bytes_from_initiator) AS b FROM FLOW_FLAT"
HOLD_S = 120.0


class ManifestHold(S3Front):
    """Holds the first manifest PUT until ``release``, then refuses it (its sender is dead by then)."""

    def __init__(self, upstream: str) -> None:
        super().__init__(upstream)
        self.arrived, self.released = threading.Event(), threading.Event()

    def refusal(self, handler: BaseHTTPRequestHandler) -> Refusal | None:
        if handler.command != "PUT" or not handler.path.partition("?")[0].endswith("/_manifest.json"):
            return None
        if self.released.is_set():
            return None
        self.arrived.set()
        self.released.wait(HOLD_S)
        return Refusal(503, b"<Error><Code>ServiceUnavailable</Code></Error>")


@pytest.fixture(scope="module")
def front(s3_endpoint: str) -> Iterator[ManifestHold]:  # noqa: F811 (the fixture)
    generate_day(CosStore(s3_endpoint, BUCKET, KEYS), RAW, DAY, seed=7)
    served = ManifestHold(s3_endpoint)
    with served:
        yield served
        served.released.set()


def settings(front: S3Front, lake: bool = True) -> dict[str, Any]:
    plain = {"source": f"cos://us-south/{BUCKET}/{RAW}", "cosEndpoint": front.url, "authType": "hmac"}
    lake_url = f"cos://us-south/{BUCKET}/{LAKE}"
    return {**plain, "lakeLocation": lake_url, "allowedLocations": [lake_url]} if lake else plain


def ask(plugin: PluginProcess, front: S3Front, lake: bool = True) -> tuple[list[dict[str, Any]], list[str]]:
    """The day's rows and the answer's notices about the flow lake."""
    secure = {"hmacAccessKeyId": HMAC_ID, "hmacSecretAccessKey": HMAC_SECRET}
    context = datasource_context(settings(front, lake), secure)
    query = data_query(
        "A",
        {"rawSql": SQL, "format": "table"},
        from_ms=int(DAY.timestamp() * 1000),
        to_ms=int((DAY + timedelta(days=1)).timestamp() * 1000) - 1,
    )
    answer = plugin.query(query, context=context, timeout=120)["A"]
    assert answer.status == 200, answer.error
    frames = decode_frames(answer)
    notices = [n["text"] for n in frame_meta(frames[0]).get("notices", []) if "flow lake" in n["text"]]
    return [row for frame in frames for row in frame.to_pylist()], notices


def lake_of(front: S3Front) -> LakeSource:
    return open_lake(
        parse_location(f"cos://us-south/{BUCKET}/{LAKE}", field="lake", endpoint_override=front.url),
        parse_location(f"cos://us-south/{BUCKET}/{RAW}", field="source", endpoint_override=front.url),
        KEYS,
    )


def started(tmp_path: Path, name: str) -> PluginProcess:
    (tmp_path / name).mkdir()
    return PluginProcess(cache_dir=tmp_path / name / "cache", extra_env=FAST).start()


def test_a_follower_killed_before_its_manifest_leaves_the_day_raw_until_compaction_completes_it(
    front: ManifestHold, tmp_path: Path
) -> None:
    first = started(tmp_path, "first")
    try:
        from_raw, _ = ask(first, front, lake=False)
        ask(first, front)  # builds the lake datasource's instance: its follower starts a pass
        assert front.arrived.wait(HOLD_S), "the follower never published a manifest"
        assert first.process is not None
        first.process.send_signal(signal.SIGKILL)
        first.process.wait(timeout=30)
    finally:
        front.released.set()
        first.stop()
    lake = lake_of(front)
    with pytest.raises(NotFound):
        lake.store.get(lake.manifest_key(DAY.date()))
    parts = [i.key for i in lake.store.list(lake.day_prefix(DAY.date())).objects if "/part-" in i.key]
    assert parts, "the part was uploaded before the manifest"

    reader = started(tmp_path, "reader")
    try:
        assert ask(reader, front) == (from_raw, [])  # no manifest: the raw objects, and nothing to warn about
    finally:
        reader.stop()

    cache = IngestCache(tmp_path / "compactor", 1 << 30)
    raw = RawSource(CosStore(front.url, BUCKET, KEYS), RAW)
    assert compact_day(raw, lake, DAY.date(), cache=cache, cancel=CancelToken()).status == "written"
    assert read_manifest(lake, DAY.date()) is not None
    before = len(front.requests())
    fresh = started(tmp_path, "fresh")
    try:
        assert ask(fresh, front) == (from_raw, [])
    finally:
        fresh.stop()
    gets = [path for kind, path in front.requests()[before:] if kind == "get"]
    assert len([path for path in gets if "/part-" in path and f"date={DAY.date()}" in path]) == 1
    assert not [path for path in gets if path.startswith(f"/{BUCKET}/{RAW}") and DAY_FOLDER.search(path)]
