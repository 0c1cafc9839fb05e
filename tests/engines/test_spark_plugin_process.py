"""The Spark engine inside the plugin process Grafana starts (the packaged dist/ under scripts/test.sh).

The in-process parity tests prove the engine; this proves the shipped bundle and the optional Spark
client bundle (build/spark-client/, named by spark_client as an administrator would) carry what the
Spark Connect client needs at run time (its modules and data files), with errors answered per query.
"""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa

from tests.plugin_host import REPO, PluginProcess, data_query, datasource_context, decode_frames


def spark_client_env() -> dict[str, str]:
    """The packaged plugin's Spark client comes from the optional bundle the build writes; the
    development entry imports the venv's."""
    if "CLOUDSQL_PLUGIN_EXECUTABLE" not in os.environ:
        return {}
    return {"GF_PLUGIN_SPARK_CLIENT": str(REPO / "build" / "spark-client")}


def test_spark_queries_through_the_plugin_process(spark_url: str, tmp_path: Path) -> None:
    plugin = PluginProcess(cache_dir=tmp_path / "cache", extra_env=spark_client_env()).start()
    try:
        context = datasource_context({"engine": "spark", "sparkUrl": spark_url, "cacheTtlSeconds": 0}, uid="spark")
        answers = plugin.query(
            data_query("A", {"rawSql": "SELECT 1 AS one, \"x\" AS s, TIMESTAMP '2024-05-06 10:00:00' AS t"}),
            data_query("B", {"rawSql": "SELECT nope FROM range(1)"}),
            context=context,
            timeout=180,
        )
        assert answers["A"].status == 200, answers["A"].error
        (table,) = decode_frames(answers["A"])
        assert table.column("t").cast(pa.int64()).to_pylist() == [1714989600 * 10**9]
        assert (table.column("one").to_pylist(), table.column("s").to_pylist()) == ([1], ["x"])
        assert answers["B"].status == 400 and "nope" in answers["B"].error
    finally:
        plugin.stop()
    assert all(isinstance(record["@message"], str) for record in plugin.log_records()), "stderr held a non-JSON line"
