"""The result cache through QueryData on the real plugin process: hits, misses, freshness, keys, visibility."""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests.cache.helpers import (
    RANDOM_SQL,
    cache_events,
    cache_info,
    call,
    engine_runs,
    first_value,
    tables,
)
from tests.plugin_host import PluginProcess, data_query, datasource_context

HOUR_MS = 3_600_000
CANARY = "canary-secret-5f0c1d2e-never-store-me"


def test_repeat_is_a_hit_with_the_same_answer_and_meta(plugin: PluginProcess) -> None:
    first = call(plugin, data_query("A", {"rawSql": RANDOM_SQL}))["A"]
    runs = engine_runs(plugin)
    second = call(plugin, data_query("A", {"rawSql": RANDOM_SQL}))["A"]
    assert engine_runs(plugin) == runs, "the engine ran again for a repeated query"
    assert first_value(second) == first_value(first)
    miss, hit = cache_info(first), cache_info(second)
    assert miss["hit"] is False and hit["hit"] is True
    assert isinstance(hit["ageSeconds"], int) and hit["ageSeconds"] >= 0  # whole seconds: hits reuse frames
    assert hit["queriedRange"] == miss["queriedRange"] == {"from": 1714953600000, "to": 1715040000000}
    assert cache_events(plugin, "hit") == 1 and cache_events(plugin, "miss") == 1
    assert plugin.metric("cloudsql_cos_ts_result_cache_bytes") > 0


def test_different_queries_miss(plugin: PluginProcess) -> None:
    values = {
        first_value(call(plugin, data_query(ref, {"rawSql": RANDOM_SQL, **extra}))[ref])
        for ref, extra in [("A", {}), ("B", {}), ("A", {"getResult": True}), ("A", {"cacheTtlSeconds": 60})]
    }
    assert len(values) == 2  # the refId is part of the key; the default getResult and the TTL are not


def test_ttl_expiry_per_query_and_ttl_zero(plugin: PluginProcess) -> None:
    short = {"rawSql": RANDOM_SQL, "cacheTtlSeconds": 1}
    first = first_value(call(plugin, data_query("A", short))["A"])
    assert first_value(call(plugin, data_query("A", short))["A"]) == first
    time.sleep(1.2)
    assert first_value(call(plugin, data_query("A", short))["A"]) != first
    off = datasource_context({"cacheTtlSeconds": 0}, uid="no-cache")
    values = {first_value(call(plugin, data_query("A", {"rawSql": RANDOM_SQL}), context=off)["A"]) for _ in range(2)}
    assert len(values) == 2


def test_settings_change_invalidates(plugin: PluginProcess) -> None:
    old, new = datasource_context(version=1), datasource_context(version=2)
    first = first_value(call(plugin, data_query("A", {"rawSql": RANDOM_SQL}), context=old)["A"])
    assert first_value(call(plugin, data_query("A", {"rawSql": RANDOM_SQL}), context=new)["A"]) != first


def test_skip_headers_never_read_but_refresh(plugin: PluginProcess) -> None:
    query = data_query("A", {"rawSql": RANDOM_SQL})
    stored = first_value(call(plugin, query)["A"])
    skipped = first_value(call(plugin, query, headers={"X-Cache-Skip": "true"})["A"])
    assert skipped != stored
    assert first_value(call(plugin, query)["A"]) == skipped, "the skipping request did not refresh the entry"
    alert_query = data_query("A", {"rawSql": "SELECT random() AS r, 1 AS one"})
    alerts = [call(plugin, alert_query, headers={"FromAlert": "true"})["A"] for _ in range(2)]
    assert first_value(alerts[0]) != first_value(alerts[1])


def test_live_ranges_are_aligned_so_refreshes_share_entries(plugin: PluginProcess) -> None:
    step = 300_000  # 6 h span: 1/100 is 216 s, rounded up to 5 min
    now = int(time.time() * 1000)
    end = now - now % step + 1_000
    sql = {"rawSql": "SELECT random() AS r, $__timeFrom() AS f, $__timeTo() AS t"}
    first = call(plugin, data_query("A", sql, from_ms=end - 6 * HOUR_MS, to_ms=end))["A"]
    later = call(plugin, data_query("A", sql, from_ms=end - 6 * HOUR_MS + 60_000, to_ms=end + 60_000))["A"]
    assert first_value(later) == first_value(first) and cache_info(later)["hit"] is True
    aligned = {"from": end - 1_000 - 6 * HOUR_MS, "to": end - 1_000 + step}
    assert cache_info(first)["queriedRange"] == aligned
    row = tables(first)[0].to_pylist()[0]  # the macros were expanded with the aligned range
    assert (row["f"].timestamp() * 1000, row["t"].timestamp() * 1000) == (aligned["from"], aligned["to"])
    exact = datasource_context({"cacheAlignRanges": False}, uid="exact")
    plain = call(plugin, data_query("A", sql, from_ms=end - HOUR_MS, to_ms=end), context=exact)["A"]
    assert cache_info(plain)["queriedRange"] == {"from": end - HOUR_MS, "to": end}


def test_chained_intermediate_results_are_reused(plugin: PluginProcess) -> None:
    queries = (
        data_query("B", {"rawSql": "SELECT sum(v) AS total, max(r) AS r FROM $__source_prev(A)"}),
        data_query("A", {"rawSql": "SELECT range AS v, random() AS r FROM range(5)", "getResult": False}),
    )
    first = call(plugin, *queries)
    runs = engine_runs(plugin)
    second = call(plugin, *queries)
    assert engine_runs(plugin) == runs
    assert tables(second["B"])[0].to_pylist() == tables(first["B"])[0].to_pylist()
    assert not second["A"].frames
    changed_b = data_query("B", {"rawSql": "SELECT count(*) AS n, max(r) AS r FROM $__source_prev(A)"})
    third = call(plugin, changed_b, queries[1])
    assert engine_runs(plugin) == runs + 1, "A's stored table was not reused by a new query reading it"
    assert tables(third["B"])[0].column("r").to_pylist() == tables(first["B"])[0].column("r").to_pylist()


def test_dest_queries_always_run(plugin: PluginProcess, tmp_path: Path) -> None:
    context = datasource_context({"destination": str(tmp_path / "out")}, uid="with-dest")
    query = data_query("A", {"rawSql": "SELECT random() AS r INTO $__dest(csv)"})
    runs = engine_runs(plugin)
    for _ in range(2):
        assert call(plugin, query, context=context)["A"].status == 200
    assert engine_runs(plugin) == runs + 2


def test_cache_clear_resource_clears_one_datasource(plugin: PluginProcess) -> None:
    one, two = datasource_context(uid="one"), datasource_context(uid="two")
    query = data_query("A", {"rawSql": RANDOM_SQL})
    values = {name: first_value(call(plugin, query, context=ctx)["A"]) for name, ctx in (("one", one), ("two", two))}
    status, body = plugin.call_resource("cache/clear", "POST", context=one)
    assert (status, body) == (200, {"cleared": 1})
    assert first_value(call(plugin, query, context=one)["A"]) != values["one"]
    assert first_value(call(plugin, query, context=two)["A"]) == values["two"]


def test_restart_reuses_entries(cache_dir: Path) -> None:
    first_process = PluginProcess(cache_dir=cache_dir).start()
    try:
        stored = first_value(call(first_process, data_query("A", {"rawSql": RANDOM_SQL}))["A"])
    finally:
        first_process.stop()
    second_process = PluginProcess(cache_dir=cache_dir).start()
    try:
        answer = call(second_process, data_query("A", {"rawSql": RANDOM_SQL}))["A"]
        assert first_value(answer) == stored and cache_info(answer)["hit"] is True
        assert engine_runs(second_process) == 0
    finally:
        second_process.stop()


def test_size_limit_evicts(tmp_path: Path) -> None:
    limit = 1_000_000
    process = PluginProcess(cache_dir=tmp_path / "cache", extra_env={"GF_PLUGIN_CACHE_SIZE_BYTES": str(limit)}).start()
    try:
        queries = [
            data_query("A", {"rawSql": f"SELECT range + {i} AS n, range AS m FROM range(10000)"}) for i in range(12)
        ]
        for query in queries:
            call(process, query)
        assert cache_events(process, "evicted") > 0
        assert process.metric("cloudsql_cos_ts_result_cache_bytes") < 2 * limit
        runs = engine_runs(process)
        hits = [cache_info(call(process, query)["A"])["hit"] for query in reversed(queries)]
        assert hits[0] is True and not all(hits)  # the newest entry survived, older ones were evicted
        assert engine_runs(process) == runs + hits.count(False)
    finally:
        process.stop()


def test_no_secret_in_any_stored_byte(plugin: PluginProcess, cache_dir: Path) -> None:
    context = datasource_context(secure={"apiKey": CANARY, "sparkToken": CANARY + "-spark"}, uid="secret-ds")
    queries = (
        data_query("A", {"rawSql": "SELECT range AS v, random() AS r FROM range(20000)", "getResult": False}),
        data_query("B", {"rawSql": "SELECT * FROM $__source_prev(A)"}),
        data_query("C", {"rawSql": "SELECT 'x' AS s", "format": "table"}),
    )
    for _ in range(2):
        answers = call(plugin, *queries, context=context)
        assert {a.status for a in answers.values()} == {200}
    files = [path for path in cache_dir.rglob("*") if path.is_file()]
    assert any(path.suffix == ".val" for path in files), "the test stored no value file to scan"
    needles = (CANARY.encode(), CANARY.encode("utf-16-le"), json.dumps(CANARY).encode())
    leaked = [str(path) for path in files if any(needle in path.read_bytes() for needle in needles)]
    assert leaked == []


def test_a_replayed_request_still_sees_clears_expiry_and_age(plugin: PluginProcess) -> None:
    """An identical request answered entirely from the cache is replayed, but never past what the cache would say."""
    query = data_query("A", {"rawSql": RANDOM_SQL, "cacheTtlSeconds": 2})
    first = call(plugin, query)["A"]
    replays = [call(plugin, query)["A"] for _ in range(3)]  # a hit, then replays of it
    assert engine_runs(plugin) == 1 and cache_events(plugin, "hit") == 3
    assert {first_value(r) for r in replays} == {first_value(first)}
    time.sleep(1.1)
    assert cache_info(call(plugin, query)["A"])["ageSeconds"] == 1  # not the replayed age 0
    assert plugin.call_resource("cache/clear", "POST")[0] == 200
    after_clear = call(plugin, query)["A"]
    assert engine_runs(plugin) == 2 and first_value(after_clear) != first_value(first)
    call(plugin, query)  # a hit, replayable until the entry expires
    time.sleep(2.1)
    assert first_value(call(plugin, query)["A"]) != first_value(after_clear)
    assert engine_runs(plugin) == 3
