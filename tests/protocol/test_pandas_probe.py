"""A DuckDB datasource's panels never load pandas: not on import, not in the plugin process answering them.

pandas is installed for the Spark client only; pyarrow imports it to check its inputs unless the plugin
answered that check first (``arrow_pandas.py``), and a value that needs pandas still gets it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cloudsql_cos_ts.flowlogs.generator import generate
from tests.plugin_host import PluginProcess, data_query, datasource_context, decode_frames

# What the warm-up thread and a DuckDB panel's first query import, the flow-log decoding and the frames included.
DUCKDB_PANEL_MODULES = (
    "cloudsql_cos_ts.server.main",
    "cloudsql_cos_ts.server.services",
    "cloudsql_cos_ts.server.wire",
    "cloudsql_cos_ts.instances",
    "cloudsql_cos_ts.query.pipeline",
    "cloudsql_cos_ts.engines.duckdb.engine",
    "cloudsql_cos_ts.flowlogs.documents",
    "cloudsql_cos_ts.flowlogs.assemble",
    "cloudsql_cos_ts.flowlogs.loglines",
    "cloudsql_cos_ts.enrichment.data",
    "cloudsql_cos_ts.frames.encode",
)

END = datetime(2026, 5, 8, tzinfo=UTC)
START = END - timedelta(hours=2)


def test_importing_what_a_duckdb_panel_uses_leaves_pandas_unimported() -> None:
    script = f"""
import importlib, json, sys
first = None
for name in {DUCKDB_PANEL_MODULES!r}:
    importlib.import_module(name)
    if first is None and "pandas" in sys.modules:
        first = name
print(json.dumps(first))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(done.stdout) is None, "this import loaded pandas"


@pytest.fixture(scope="module")
def flow_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pandas-probe")
    generate(folder, vnics=1, start=START, end=END, records_per_object=5)
    return folder


PANELS = {
    "table": {"rawSql": "SELECT start_time, action, bytes_from_initiator FROM FLOW_FLAT", "format": "table"},
    "time series": {
        "rawSql": "SELECT $__timeGroup(start_time, '10m') AS time, action, count(*) AS flows FROM FLOW_FLAT "
        "WHERE $__timeFilterColumn(start_time, timestamp) GROUP BY 1, 2 ORDER BY 1",
        "format": "time_series",
        "timeColumn": "time",
        "metricsColumn": "action",
    },
    "logs": {"rawSql": "SELECT * FROM FLOW_FLAT", "format": "logs"},
}


def test_the_plugin_answers_duckdb_panels_without_loading_pandas(plugin: PluginProcess, flow_logs: Path) -> None:
    context = datasource_context({"source": str(flow_logs)}, uid="pandas-probe")
    from_ms, to_ms = int(START.timestamp() * 1000), int(END.timestamp() * 1000)
    for name, model in PANELS.items():
        answer = plugin.query(data_query("A", model, from_ms=from_ms, to_ms=to_ms), context=context)["A"]
        assert answer.status == 200, f"{name}: {answer.error}"
        assert sum(frame.num_rows for frame in decode_frames(answer)) > 0, name
    assert plugin.process is not None
    mapped = Path(f"/proc/{plugin.process.pid}/maps").read_text()
    assert "/pandas/" not in mapped, "the plugin process loaded pandas"


NANOS = 1714989600123456789  # 2024-05-06 10:00:00.123456789 UTC: a time datetime cannot hold, pandas' Timestamp can


def test_a_nanosecond_time_inside_an_answer_comes_out_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nested in a table's JSON column, in a log line and written by ``$__dest(json)``: the plugin takes pandas
    back for pyarrow when such a value shows up, so it is rendered as when pandas was always loaded. The
    source tree's plugin, where pandas is installed (the bundle has it only with the Spark client, and pyarrow
    never had it there)."""
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
