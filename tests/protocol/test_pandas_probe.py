"""A DuckDB datasource's panels never load pandas: not on import, not in the plugin process answering them.

pandas is installed for the Spark client only; pyarrow imports it to check its inputs unless the plugin
answered that check first (``server/pandas_probe.py``), and whatever needs pandas itself still gets it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

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


def _run(script: str) -> Any:
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout)


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
    assert _run(script) is None, "this import loaded pandas"


@pytest.mark.parametrize("pandas_first", [False, True], ids=["settled-before-pandas", "pandas-already-imported"])
def test_pyarrow_converts_the_same_after_the_probe_and_still_takes_pandas_objects(pandas_first: bool) -> None:
    script = f"""
import json, sys
if {pandas_first}:
    import pandas
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from cloudsql_cos_ts.server.pandas_probe import settle_without_pandas

settle_without_pandas()
converted = {{
    "list": pa.array([1, None, 3]).to_pylist(),
    "text": pa.array(["a", None], pa.string()).to_pylist(),
    "numpy": pa.array(np.arange(3)).to_pylist(),
    "table": pa.table({{"a": [1, 2]}}).to_pydict(),
    "compute": pc.add(pa.array([1, 2]), 1).to_pylist(),
}}
loaded_by_conversions = "pandas" in sys.modules
import pandas as pd
frame = pa.Table.from_pandas(pd.DataFrame({{"a": [1, 2]}}), preserve_index=False)
series = pa.array(pd.Series([1.5, None]))
print(json.dumps([converted, loaded_by_conversions, frame.to_pydict(), series.to_pylist(), str(series.type)]))
"""
    converted, loaded, frame, series, series_type = _run(script)
    assert converted == {
        "list": [1, None, 3],
        "text": ["a", None],
        "numpy": [0, 1, 2],
        "table": {"a": [1, 2]},
        "compute": [2, 3],
    }
    assert loaded is pandas_first
    assert (frame, series, series_type) == ({"a": [1, 2]}, [1.5, None], "double")


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
