"""W8: the dashboard's enrichment panels against the same panels without enrichment, over W1's set.

Usage: ``.venv/bin/python bench/w8_enrichment.py [--data DIR] [--cache DIR] [--reps N] [--calls]``.
Each row asks one question of the same rows several ways: by raw columns (addresses, port and protocol
numbers; "plain"), by enriched names with the shipped dashboard's panels 7-9 as stored ("shipped"),
through ``FLOW_ENRICHED`` as users write it ("enriched": one row per enriched value, P8 grouped by AS
number and name, P9's per-row ``coalesce`` of service and protocol name), and with ``--calls`` by calling
the enrichment functions on every row of ``FLOW_FLAT`` ("calls/row"): rejected sources vs rejected
countries (P7), busiest sources vs busiest source networks (P8), inbound target ports vs target services
(P9). All run through the plugin's own translation on the DuckDB engine with a warm ingest cache (the
first two runs of each query are a warm-up, after which the spans of its settled days are merged) and
the result cache off. Each repetition runs every way once, one
after the other, so the machine's load falls on all of them alike; the table gives the medians of wall
and CPU seconds (the process's CPU time, all threads), each with its ratio to plain ("x"). The verdict
lines take, per way, the CPU ratio to plain of each repetition (the two ran back to back) and compare
their median with the goal, enriched <= 1.2 x plain, giving the range of the ratios beside it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from w1_panels import INTERVAL_MS, MAX_DATA_POINTS, RANGE, datasource_json, ensure_data

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.engines.base import ExecutionRequest
from cloudsql_cos_ts.engines.registry import create_engine
from cloudsql_cos_ts.flowlogs.spans import MERGER
from cloudsql_cos_ts.instances import DatasourceInstance
from cloudsql_cos_ts.query.model import parse_query
from cloudsql_cos_ts.query.prepare import prepare_sql
from cloudsql_cos_ts.settings.datasource import parse_datasource_settings
from cloudsql_cos_ts.settings.plugin import PluginSettings
from tests.dashboard.shipped import load_queries

_WINDOW = "$__timeFilterColumn(capture_start_time, timestamp)"
GOAL = 1.2  # the bound on an enriched panel's cost, as a multiple of the same question by raw columns
PLAIN = {
    "P7": 'SELECT initiator_ip, count(*) AS rejected FROM FLOW_FLAT WHERE action = "rejected" AND '
    f"{_WINDOW} GROUP BY initiator_ip ORDER BY rejected DESC LIMIT 15",
    "P8": f"SELECT initiator_ip, count(*) AS flows FROM FLOW_FLAT WHERE {_WINDOW} "
    "GROUP BY initiator_ip ORDER BY flows DESC LIMIT 10",
    "P9": 'SELECT target_port, transport_protocol, count(*) AS flows FROM FLOW_FLAT WHERE direction = "I" AND '
    f"{_WINDOW} GROUP BY target_port, transport_protocol ORDER BY flows DESC LIMIT 10",
}
PER_ROW = {  # the same questions enriching every row through FLOW_ENRICHED (joins on DuckDB)
    "P7": 'SELECT initiator_country AS country, count(*) AS rejected FROM FLOW_ENRICHED WHERE action = "rejected" '
    f"AND initiator_country IS NOT NULL AND {_WINDOW} GROUP BY 1 ORDER BY rejected DESC LIMIT 15",
    "P8": "SELECT initiator_asn, initiator_as_name, count(*) AS flows FROM FLOW_ENRICHED "
    f"WHERE initiator_asn IS NOT NULL AND {_WINDOW} GROUP BY 1, 2 ORDER BY flows DESC LIMIT 10",
    "P9": "SELECT coalesce(target_service, protocol_name) AS service, count(*) AS flows FROM FLOW_ENRICHED "
    f'WHERE direction = "I" AND {_WINDOW} GROUP BY 1 ORDER BY flows DESC LIMIT 10',
}
PER_ROW_CALLS = {  # ... and through the functions on every row of FLOW_FLAT (what FLOW_ENRICHED was before)
    "P7": "SELECT geo_country(initiator_ip) AS country, count(*) AS rejected FROM FLOW_FLAT "
    'WHERE action = "rejected" AND geo_country(initiator_ip) IS NOT NULL '
    f"AND {_WINDOW} GROUP BY 1 ORDER BY rejected DESC LIMIT 15",
    "P8": "SELECT asn(initiator_ip) AS asn, as_name(initiator_ip) AS as_name, count(*) AS flows FROM FLOW_FLAT "
    f"WHERE asn(initiator_ip) IS NOT NULL AND {_WINDOW} GROUP BY 1, 2 ORDER BY flows DESC LIMIT 10",
    "P9": "SELECT coalesce(service_name(target_port, transport_protocol), protocol_name(transport_protocol)) "
    'AS service, count(*) AS flows FROM FLOW_FLAT WHERE direction = "I" '
    f"AND {_WINDOW} GROUP BY 1 ORDER BY flows DESC LIMIT 10",
}


def request(instance: DatasourceInstance, sql: str) -> ExecutionRequest:
    """The engine's request for ``sql`` as the plugin would prepare it for a table panel."""
    model = parse_query(
        json.dumps({"rawSql": sql, "format": "table"}).encode(),
        ref_id="A",
        time_range=RANGE,
        interval_ms=INTERVAL_MS,
        max_data_points=MAX_DATA_POINTS,
    )
    translation = prepare_sql(instance, model, frozenset({"A"}))[1]
    return ExecutionRequest(
        sql=translation.sql,
        time_range=RANGE,
        cancel=CancelToken(),
        row_limit=1_000_000,
        referenced=translation.referenced,
    )


def interleaved(
    instance: DatasourceInstance, sqls: list[str], reps: int
) -> tuple[list[int], list[list[float]], list[list[float]]]:
    """Each query's rows (from a warm-up run), then its wall and CPU seconds per repetition."""
    requests = [request(instance, sql) for sql in sqls]
    for _ in range(2):  # the warm queries ask for spans of the settled days (flowlogs/spans.py): merged before timing
        rows = [instance.engine.execute(r).table.num_rows for r in requests]
        MERGER.wait()
    wall: list[list[float]] = [[] for _ in requests]
    cpu: list[list[float]] = [[] for _ in requests]
    for _ in range(reps):
        for index, r in enumerate(requests):
            began, used = time.perf_counter(), time.process_time()
            instance.engine.execute(r)
            wall[index].append(time.perf_counter() - began)
            cpu[index].append(time.process_time() - used)
    return rows, wall, cpu


def verdict(panel: str, way: str, plain: list[float], enriched: list[float]) -> str:
    """One way's goal line for a panel: the median of its per-repetition CPU ratios to plain, met or not."""
    ratios = [e / p for p, e in zip(plain, enriched, strict=True)]
    median = statistics.median(ratios)
    met = "met" if median <= GOAL else "NOT met"
    return f"  {panel} {way:<10}{median:>6.2f}  ({min(ratios):.2f}-{max(ratios):.2f})  {met}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "w8-flowlogs")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "w8-cache")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--calls", action="store_true", help="also time the functions called on every row")
    args = parser.parse_args()
    ensure_data(args.data)
    json_data = datasource_json(args.data, args.cache / "results")
    settings = parse_datasource_settings(
        uid="w8", name="w8", last_updated_ms=1, secure={}, json_data=json.dumps(json_data).encode()
    )
    instance = DatasourceInstance(settings, create_engine(settings, PluginSettings(cache_dir=args.cache)))
    ways = {"shipped": load_queries(), "enriched": PER_ROW} | ({"calls/row": PER_ROW_CALLS} if args.calls else {})
    heads = "".join(f"{name:>10}{'x':>6}" for name in ways)
    print(f"{'panel':<6}{'':<5}{'plain':>8}{heads}  rows (plain / {' / '.join(ways)})")
    verdicts = []
    try:
        for name, plain_sql in PLAIN.items():
            rows, wall, cpu = interleaved(instance, [plain_sql, *(sqls[name] for sqls in ways.values())], args.reps)
            for label, seconds in (("wall", wall), ("cpu", cpu)):
                medians = [statistics.median(each) for each in seconds]
                figures = "".join(f"{m:>10.3f}{m / medians[0]:>6.2f}" for m in medians[1:])
                counts = " / ".join(str(n) for n in rows) if label == "wall" else ""
                print(f"{name if label == 'wall' else '':<6}{label:<5}{medians[0]:>8.3f}{figures}  {counts}")
            verdicts += [verdict(name, way, cpu[0], each) for way, each in zip(ways, cpu[1:], strict=True)]
    finally:
        instance.close()
    print(f"goal: CPU <= {GOAL} x plain (median of {args.reps} per-repetition ratios; their range)")
    for line in verdicts:
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
