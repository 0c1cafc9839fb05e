"""The ``plan`` and ``estimate`` endpoints on a Spark engine (the session's real Spark Connect server).

The plan is Spark's own explain string of the query's DataFrame, its sources bound to empty
relations of their columns: the server plans it and reads nothing. The estimate comes from the
same listing and pruning as a Spark run, so it counts the flow-log objects a run would read.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.engines.test_spark_plugin_process import spark_client_env
from tests.plugin_host import PluginProcess, datasource_context
from tests.real_objects.cases import CASES, write
from tests.real_objects.serving import FROM_MS, TO_MS

SQL = (
    "SELECT target_ip, count(*) AS n FROM FLOW_FLAT "
    "WHERE action = 'rejected' AND $__timeFilterColumn(start_time, string) GROUP BY target_ip"
)


def test_spark_plans_and_estimates_without_reading(spark_url: str, tmp_path: Path) -> None:
    write(tmp_path / "bucket")
    plugin = PluginProcess(cache_dir=tmp_path / "cache", extra_env=spark_client_env()).start()
    try:
        context = datasource_context({"engine": "spark", "sparkUrl": spark_url, "source": str(tmp_path / "bucket")})
        body = json.dumps({"query": {"refId": "A", "rawSql": SQL}, "range": {"from": FROM_MS, "to": TO_MS}}).encode()
        status, plan = plugin.call_resource("plan", "POST", body, context)
        assert status == 200 and plan["engine"] == "spark", plan
        assert "== Physical Plan ==" in plan["plan"] and "== Analyzed Logical Plan ==" in plan["plan"]
        assert "HashAggregate" in plan["plan"] and "rejected" in plan["plan"]
        status, estimate = plugin.call_resource("estimate", "POST", body, context)
        readable = [case for case in CASES if not case.damaged]
        assert status == 200 and estimate["engine"] == "spark" and estimate["exact"], estimate
        assert (estimate["objects"], estimate["bytes"]) == (len(readable), sum(len(c.body) for c in readable))
        assert estimate["ingestCache"] == {"objects": 0, "bytes": 0}  # Spark reads the objects itself
    finally:
        plugin.stop()
