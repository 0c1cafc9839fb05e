"""Damaged objects never fail a dashboard, through the plugin process.

The bucket holds every hand-made object, the truncated gzip and the invalid JSON included. Every
shipped query answers 200 with the damaged objects left out and a warning naming the count and the
first key; the metric counts them; ``damagedObjects: fail`` turns them into a 502 naming the key;
a re-uploaded object (new ETag) is read again and the notice goes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cloudsql_cos_ts.proto import backend_pb2 as pb
from tests.dashboard.shipped import load_models
from tests.plugin_host import PluginProcess, data_query, datasource_context, decode_frames, frame_meta
from tests.real_objects.cases import CASES, DAMAGED, TARGET_IP, gz, readable_records, write
from tests.real_objects.serving import FROM_MS, TO_MS

FIRST_DAMAGED = min(case.key for case in DAMAGED)
NOTICE = (
    f"2 flow-log objects in the query's range could not be read (not gzip JSON) and were left out "
    f"(the first: {FIRST_DAMAGED}); the result may be short"
)
READABLE_RECORDS = len(readable_records())


@dataclass
class Bucket:
    plugin: PluginProcess
    folder: Path

    def run(self, model: dict[str, Any], uid: str = "damaged", **extra: str) -> pb.DataResponse:
        """Uncached; a new ``uid`` is a new datasource instance (no listing shared with earlier queries)."""
        sql = model["rawSql"].replace("${target_ip}", TARGET_IP)
        query = data_query("A", {**model, "rawSql": sql, "cacheTtlSeconds": 0}, from_ms=FROM_MS, to_ms=TO_MS)
        context = datasource_context({"source": str(self.folder), **extra}, uid=f"{uid}-{sorted(extra.items())}")
        return self.plugin.query(query, context=context)["A"]


@pytest.fixture(scope="module")
def bucket(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bucket]:
    root = tmp_path_factory.mktemp("damaged")
    write(root / "bucket", damaged=True)
    process = PluginProcess(cache_dir=root / "cache").start()
    yield Bucket(process, root / "bucket")
    process.stop()


def _notices(answer: pb.DataResponse) -> list[dict[str, str]]:
    frames = decode_frames(answer)
    return list(frame_meta(frames[0]).get("notices", [])) if frames else []


def _warnings(answer: pb.DataResponse) -> list[str]:
    return [notice["text"] for notice in _notices(answer) if notice["severity"] == "warning"]


@pytest.mark.parametrize("name", ["target_ip", "target_ip_private", "P2", "P4", "P5", "P6", "alert"])
def test_every_shipped_query_answers_with_a_warning(bucket: Bucket, name: str) -> None:
    model = load_models()[name]
    answer = bucket.run({**model, "getResult": True})
    assert answer.status == 200, answer.error
    assert {"severity": "warning", "text": NOTICE} in _notices(answer)


def test_damaged_objects_are_left_out_and_counted(bucket: Bucket) -> None:
    before = bucket.plugin.metric("cloudsql_cos_ts_source_objects_total", event="damaged")
    answer = bucket.run({"rawSql": "SELECT count(*) AS n FROM FLOW_FLAT", "format": "table"})
    assert answer.status == 200, answer.error
    (table,) = decode_frames(answer)
    assert table.column("n").to_pylist() == [READABLE_RECORDS]
    assert frame_meta(table)["custom"]["source"]["objects_damaged"] == 2
    assert bucket.plugin.metric("cloudsql_cos_ts_source_objects_total", event="damaged") == before + 2
    objects = bucket.run({"rawSql": "SELECT count(*) AS n FROM FLOW", "format": "table"})
    (table,) = decode_frames(objects)
    assert table.column("n").to_pylist() == [len(CASES) - len(DAMAGED)]


def test_fail_setting_turns_them_into_an_error(bucket: Bucket) -> None:
    answer = bucket.run({"rawSql": "SELECT count(*) FROM FLOW_FLAT", "format": "table"}, damagedObjects="fail")
    assert answer.status == 502
    assert answer.error == (
        f"2 flow-log objects in the query's range could not be read (not gzip JSON; the first: {FIRST_DAMAGED}); "
        "set damagedObjects to skip in the datasource settings to leave such objects out"
    )


def test_a_bad_setting_is_a_400(bucket: Bucket) -> None:
    answer = bucket.run({"rawSql": "SELECT 1", "format": "table"}, damagedObjects="ignore")
    assert answer.status == 400
    assert "damagedObjects must be one of skip, fail (got 'ignore')" in answer.error


def test_a_re_uploaded_object_is_read_again(tmp_path: Path) -> None:
    (truncated,) = write(tmp_path / "bucket", names=["truncated_gzip"])
    process = PluginProcess(cache_dir=tmp_path / "cache").start()
    try:
        bucket = Bucket(process, tmp_path / "bucket")
        model = {"rawSql": "SELECT count(*) AS n FROM FLOW_FLAT", "format": "table"}
        first = bucket.run(model)
        assert _warnings(first) == [
            f"1 flow-log object in the query's range could not be read (not gzip JSON) and was left out "
            f"({truncated.key}); the result may be short"
        ]
        document = {"version": "0.0.1", "capture_start_time": "2020-07-01T21:01:43Z", "flow_logs": [{"action": "x"}]}
        (tmp_path / "bucket" / truncated.key).write_bytes(gz(json.dumps(document).encode()))
        second = bucket.run(model, uid="after-upload")  # the same ingest cache, a fresh listing
        assert second.status == 200 and _warnings(second) == []
        (table,) = decode_frames(second)
        assert table.column("n").to_pylist() == [1]
    finally:
        process.stop()
