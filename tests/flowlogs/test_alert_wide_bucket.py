"""The shipped alert rule over a bucket of 7 days x 10 vNICs reads only its window, then only new objects (issue 26).

The rule looks at the last 30 minutes (``content/``), so only the hours around that window need real
objects: those are generated (10 vNICs, the last two hours of the week). The six days and 22 hours
before are the bucket's bulk, laid out as IBM lays it out (every vNIC and record type, every hour, as
many objects an hour as the generator writes) but made of hard links to one generated object, which
costs a second instead of generating a week. Their modification time is after the week's end, so had
an evaluation listed any of them, it would have read them too (pruning by ``LastModified`` would keep
them): the counts below would show it. The estimate for the rule (``fromAlert``) sees the same.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from cloudsql_cos_ts.flowlogs.generator import generate
from cloudsql_cos_ts.flowlogs.layout import ONE_HOUR, FlowLogKey, VnicPartition, format_key, parse_key
from cloudsql_cos_ts.proto import backend_pb2 as pb
from tests.flowlogs.conftest import WEEK_END
from tests.flowlogs.test_alert_evaluations import ALERT, NEW_OBJECTS_MINUTES, alert_model, stats
from tests.plugin_host import PluginProcess, data_query, datasource_context

VNICS = 10
DAYS = 7
GENERATED = timedelta(hours=2)  # the rule's 30 minutes, the 10 minutes before them, and more
RULE_WINDOW_MS = 1_800_000
OBJECTS_PER_HOUR = 13  # at most, per vNIC and record type: one every five minutes, one more after a flush


@dataclass
class Bucket:
    plugin: PluginProcess
    folder: Path
    objects: int

    @property
    def context(self) -> pb.PluginContext:
        return datasource_context({"source": str(self.folder)}, uid="alert-wide-bucket")

    def evaluate(self, end_ms: int) -> pb.DataResponse:
        query = data_query("A", alert_model(), from_ms=end_ms - RULE_WINDOW_MS, to_ms=end_ms)
        return self.plugin.query(query, context=self.context, headers=ALERT, timeout=120)["A"]

    def estimate(self, end_ms: int) -> dict[str, Any]:
        body = {"query": {"refId": "A", **alert_model()}, "range": {"from": end_ms - RULE_WINDOW_MS, "to": end_ms}}
        status, answer = self.plugin.call_resource(
            "estimate", "POST", json.dumps({**body, "fromAlert": True}).encode(), self.context
        )
        assert status == 200, answer
        return answer


def fill_week(folder: Path) -> int:
    """Link the week before the generated hours to one object: every vNIC and record type, each hour
    with the object names of that stream's first generated hour. Returns how many links were made."""
    generated = sorted(folder.rglob("*.gz"))
    first_hour = min(_parsed(folder, path).hour_start for path in generated)
    names: dict[tuple[VnicPartition, str], list[str]] = {}
    for path in generated:
        key = _parsed(folder, path)
        if key.hour_start == first_hour:
            names.setdefault((key.vnic, key.stream_id), []).append(path.name)
    later = (WEEK_END + timedelta(days=1)).timestamp()
    os.utime(generated[0], (later, later))  # a link shares it: every filler looks written after the week
    linked = 0
    for (vnic, stream_id), files in names.items():
        hour = WEEK_END - timedelta(days=DAYS)
        while hour < first_hour:
            hour_folder = (folder / format_key(FlowLogKey(vnic, hour, stream_id, 0))).parent
            hour_folder.mkdir(parents=True)
            for name in files:
                os.link(generated[0], hour_folder / name)
            linked += len(files)
            hour += ONE_HOUR
    return linked


def _parsed(folder: Path, path: Path) -> FlowLogKey:
    key = parse_key(path.relative_to(folder).as_posix())
    assert key is not None, path
    return key


@pytest.fixture(scope="module")
def bucket(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bucket]:
    root = tmp_path_factory.mktemp("alert-wide")
    tail = generate(root / "bucket", vnics=VNICS, start=WEEK_END - GENERATED, end=WEEK_END, records_per_object=2)
    objects = tail.objects + fill_week(root / "bucket")
    process = PluginProcess(cache_dir=root / "cache").start()
    yield Bucket(process, root / "bucket", objects)
    process.stop()


def test_the_bucket_has_the_shape_of_a_week_of_ten_vnics(bucket: Bucket) -> None:
    objects = list(bucket.folder.rglob("*.gz"))
    assert len({path.parent.parent for path in objects}) >= VNICS * 2 * DAYS * 24  # vNIC, record type and hour
    assert bucket.objects == len(objects) > VNICS * 2 * DAYS * 24 * 10


def test_the_rule_lists_its_hours_and_reads_only_new_objects(bucket: Bucket) -> None:
    end = int(WEEK_END.timestamp() * 1000)
    first = stats(bucket.evaluate(end))
    window_hours = 3  # the window's hour, the hour before its start and the hour after its end
    assert 0 < first["Objects listed"] <= VNICS * 2 * OBJECTS_PER_HOUR * window_hours
    assert first["Objects listed"] * 50 < bucket.objects
    assert first["Objects read"] == first["Objects listed"] - first["Objects pruned"] > 0
    added = generate(bucket.folder, vnics=VNICS, start=WEEK_END, end=WEEK_END + timedelta(minutes=NEW_OBJECTS_MINUTES))
    later = end + NEW_OBJECTS_MINUTES * 60_000
    estimate = bucket.estimate(later)
    second = stats(bucket.evaluate(later))
    assert second["Objects read"] == added.objects > 0
    assert second["Bytes downloaded"] == added.bytes_written
    assert second["Ingest-cache hits"] == second["Objects listed"] - second["Objects pruned"] - added.objects
    assert (estimate["objects"], estimate["listedObjects"]) == (
        second["Objects listed"] - second["Objects pruned"],
        second["Objects listed"],
    )
    assert estimate["objects"] - estimate["ingestCache"]["objects"] == added.objects
