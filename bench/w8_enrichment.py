"""W8: the dashboard's enrichment panels against the same panels without enrichment, over W1's set.

Usage: ``.venv/bin/python bench/w8_enrichment.py [--data DIR] [--cache DIR] [--reps N]``.
Each row asks one question of the same rows four ways: by raw columns (addresses, port and protocol
numbers; "plain"), by enriched names with the shipped panels 7-9 (which aggregate by address or port
first and enrich the groups; "shipped"), by calling the enrichment functions on every row of
``FLOW_FLAT`` ("calls/row", what ``FLOW_ENRICHED`` was before its DuckDB joins), and through
``FLOW_ENRICHED`` ("enriched"): rejected sources vs rejected countries (P7), busiest sources vs busiest
source networks (P8), inbound target ports vs target services (P9). All run through the plugin's own
translation on the DuckDB engine with a warm ingest cache (the first run of each query is a warm-up)
and the result cache off; the table gives the median of the repetitions and each one's ratio to
plain ("x"). Goal: enriched <= 1.2 x plain.
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
from cloudsql_cos_ts.instances import DatasourceInstance
from cloudsql_cos_ts.query.model import parse_query
from cloudsql_cos_ts.query.prepare import prepare_sql
from cloudsql_cos_ts.settings.datasource import parse_datasource_settings
from cloudsql_cos_ts.settings.plugin import PluginSettings
from tests.dashboard.shipped import load_queries

_WINDOW = "$__timeFilterColumn(capture_start_time, timestamp)"
PLAIN = {
    "P7": 'SELECT initiator_ip, count(*) AS rejected FROM FLOW_FLAT WHERE action = "rejected" AND '
          f"{_WINDOW} GROUP BY initiator_ip ORDER BY rejected DESC LIMIT 15",
    "P8": f"SELECT initiator_ip, count(*) AS flows FROM FLOW_FLAT WHERE {_WINDOW} "
          "GROUP BY initiator_ip ORDER BY flows DESC LIMIT 10",
    "P9": 'SELECT target_port, transport_protocol, count(*) AS flows FROM FLOW_FLAT WHERE direction = "I" AND '
          f"{_WINDOW} GROUP BY target_port, transport_protocol ORDER BY flows DESC LIMIT 10",
}
PER_ROW = {  # the same questions enriching every row through FLOW_ENRICHED (joins on DuckDB)
    "P7": "SELECT initiator_country AS country, count(*) AS rejected FROM FLOW_ENRICHED WHERE action = \"rejected\" "
          f"AND initiator_country IS NOT NULL AND {_WINDOW} GROUP BY 1 ORDER BY rejected DESC LIMIT 15",
    "P8": "SELECT initiator_asn, initiator_as_name, count(*) AS flows FROM FLOW_ENRICHED "
          f"WHERE initiator_asn IS NOT NULL AND {_WINDOW} GROUP BY 1, 2 ORDER BY flows DESC LIMIT 10",
    "P9": "SELECT coalesce(target_service, protocol_name) AS service, count(*) AS flows FROM FLOW_ENRICHED "
          f"WHERE direction = \"I\" AND {_WINDOW} GROUP BY 1 ORDER BY flows DESC LIMIT 10",
}
PER_ROW_CALLS = {  # ... and through the functions on every row of FLOW_FLAT (what FLOW_ENRICHED was before)
    "P7": "SELECT geo_country(initiator_ip) AS country, count(*) AS rejected FROM FLOW_FLAT "
          "WHERE action = \"rejected\" AND geo_country(initiator_ip) IS NOT NULL "
          f"AND {_WINDOW} GROUP BY 1 ORDER BY rejected DESC LIMIT 15",
    "P8": "SELECT asn(initiator_ip) AS asn, as_name(initiator_ip) AS as_name, count(*) AS flows FROM FLOW_FLAT "
          f"WHERE asn(initiator_ip) IS NOT NULL AND {_WINDOW} GROUP BY 1, 2 ORDER BY flows DESC LIMIT 10",
    "P9": "SELECT coalesce(service_name(target_port, transport_protocol), protocol_name(transport_protocol)) "
          "AS service, count(*) AS flows FROM FLOW_FLAT WHERE direction = \"I\" "
          f"AND {_WINDOW} GROUP BY 1 ORDER BY flows DESC LIMIT 10",
}


def timed(instance: DatasourceInstance, sql: str, reps: int) -> tuple[float, int]:
    """Median seconds of ``reps`` runs after one warm-up, and the rows of the answer."""
    model = parse_query(json.dumps({"rawSql": sql, "format": "table"}).encode(), ref_id="A", time_range=RANGE,
                        interval_ms=INTERVAL_MS, max_data_points=MAX_DATA_POINTS)
    translation = prepare_sql(instance, model, frozenset({"A"}))[1]
    request = ExecutionRequest(sql=translation.sql, time_range=RANGE, cancel=CancelToken(), row_limit=1_000_000,
                               referenced=translation.referenced)
    rows = instance.engine.execute(request).table.num_rows
    seconds = []
    for _ in range(reps):
        began = time.perf_counter()
        instance.engine.execute(request)
        seconds.append(time.perf_counter() - began)
    return statistics.median(seconds), rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "w8-flowlogs")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "w8-cache")
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    ensure_data(args.data)
    json_data = datasource_json(args.data, args.cache / "results")
    settings = parse_datasource_settings(uid="w8", name="w8", last_updated_ms=1, secure={},
                                         json_data=json.dumps(json_data).encode())
    instance = DatasourceInstance(settings, create_engine(settings, PluginSettings(cache_dir=args.cache)))
    shipped = load_queries()
    print(f"{'panel':<6}{'plain s':>9}{'shipped':>9}{'x':>6}{'calls/row':>11}{'x':>6}{'enriched':>10}{'x':>6}"
          "  rows (plain / shipped / calls / enriched)")
    try:
        for name, plain_sql in PLAIN.items():
            plain, plain_rows = timed(instance, plain_sql, args.reps)
            found = [timed(instance, sql[name], args.reps) for sql in (shipped, PER_ROW_CALLS, PER_ROW)]
            figures = "".join(f"{seconds:>{width}.3f}{seconds / plain:>6.2f}"
                              for (seconds, _), width in zip(found, (9, 11, 10), strict=True))
            counts = " / ".join(str(n) for n in (plain_rows, *(rows for _, rows in found)))
            print(f"{name:<6}{plain:>9.3f}{figures}  {counts}")
    finally:
        instance.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
