"""Values pyarrow turns into Python only with pandas' help keep their precision in answers.

A nanosecond time with a sub-microsecond part does not fit ``datetime``; pyarrow hands it over as
pandas' ``Timestamp`` where pandas is installed (the source tree, a Python install with the Spark extra).
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.plugin_host import PluginProcess, data_query, datasource_context, decode_frames

NANOS = 1714989600123456789  # 2024-05-06 10:00:00.123456789 UTC: a time datetime cannot hold, pandas' Timestamp can


def test_a_nanosecond_time_inside_an_answer_comes_out_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nested in a table's JSON column, in a log line and written by ``$__dest(json)``. The source tree's
    plugin, where pandas is installed (the bundle has it only with the Spark client)."""
    monkeypatch.delenv("CLOUDSQL_PLUGIN_EXECUTABLE", raising=False)
    source, destination = tmp_path / "source", tmp_path / "destination"
    source.mkdir()
    times = pa.array([NANOS], pa.timestamp("ns"))
    pq.write_table(
        pa.table({"t": times, "s": pa.StructArray.from_arrays([times], ["a"]), "v": [1]}), source / "part.parquet"
    )
    settings = {"source": str(source), "sourceFormat": "parquet", "destination": str(destination)}
    context = datasource_context(settings, uid="nanoseconds")
    models = {
        "table": {"rawSql": "SELECT s, v FROM $__source", "format": "table"},
        "logs": {"rawSql": "SELECT t AS time, s, v FROM $__source", "format": "logs"},
        "dest": {"rawSql": "SELECT t, v FROM $__source INTO $__dest(json)", "format": "table"},
    }
    plugin = PluginProcess(cache_dir=tmp_path / "cache").start()
    try:
        answers = {name: plugin.query(data_query(name, model), context=context)[name] for name, model in models.items()}
    finally:
        plugin.stop()
    assert {name: answer.status for name, answer in answers.items()} == dict.fromkeys(models, 200)
    (table,) = decode_frames(answers["table"])
    assert json.loads(table.column("s")[0].as_py()) == {"a": "2024-05-06T10:00:00.123456789"}
    (logs,) = decode_frames(answers["logs"])
    assert "10:00:00.123456789" in logs.column("body")[0].as_py()
    (written,) = [path for path in destination.rglob("*") if path.is_file()]
    assert json.loads(written.read_text())["t"].startswith("2024-05-06T10:00:00.123456789")
