"""A small in-memory DuckDB with FLOW_FLAT-like data, and helpers to run IBM-dialect SQL on it."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from cloudsql_cos_ts.dialect import translate
from cloudsql_cos_ts.engines.duckdb.enrich import register_functions
from cloudsql_cos_ts.macros import MacroContext, expand_macros
from cloudsql_cos_ts.settings.enrichment import EnrichmentFiles
from cloudsql_cos_ts.timerange import TimeRange

START = datetime(2024, 5, 6, 10, 0, tzinfo=UTC)
RANGE = TimeRange(int(START.timestamp() * 1000), int((START + timedelta(hours=3)).timestamp() * 1000))
SCANNER, SCANNED = "203.0.113.66", "10.240.0.5"


@dataclass(frozen=True)
class Flow:
    start: datetime  # start_time, stored as RFC 3339 text
    capture_start: datetime
    connection_start: datetime
    action: str
    target_ip: str
    initiator_ip: str
    target_port: int
    direction: str
    network_interface_id: str

    @property
    def start_time(self) -> str:
        return self.start.strftime("%Y-%m-%dT%H:%M:%SZ")


def _flows() -> list[Flow]:
    rng = random.Random(7)
    flows: list[Flow] = []
    targets = ["10.240.0.4", SCANNED, "10.240.0.6"]
    for index in range(240):
        start = START - timedelta(minutes=30) + timedelta(seconds=rng.randrange(0, 4 * 3600))
        target = rng.choice(targets)
        flows.append(
            Flow(
                start=start,
                capture_start=start.replace(minute=start.minute - start.minute % 5, second=0),
                connection_start=start - timedelta(seconds=rng.randrange(0, 120)),
                action=rng.choice(["accepted", "accepted", "rejected"]),
                target_ip=target,
                initiator_ip=f"198.51.100.{rng.randrange(1, 9)}",
                target_port=rng.choice([22, 80, 443]),
                direction=rng.choice(["I", "I", "O"]),
                network_interface_id=f"vnic-{targets.index(target)}",
            )
        )
        if index % 4 == 0:  # the port scanner: rejected, inbound, many ports of one target
            flows.append(Flow(start, start, start, "rejected", SCANNED, SCANNER, 1000 + index, "I", "vnic-1"))
    return flows


FLOWS = _flows()


def _naive(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None)


def flow_table() -> pa.Table:
    return pa.table(
        {
            "start_time": [f.start_time for f in FLOWS],
            "capture_start_time": pa.array([_naive(f.capture_start) for f in FLOWS], pa.timestamp("us")),
            "connection_start_time": pa.array([_naive(f.connection_start) for f in FLOWS], pa.timestamp("us")),
            "action": [f.action for f in FLOWS],
            "target_ip": [f.target_ip for f in FLOWS],
            "initiator_ip": [f.initiator_ip for f in FLOWS],
            "target_port": pa.array([f.target_port for f in FLOWS], pa.int32()),
            "direction": [f.direction for f in FLOWS],
            "network_interface_id": [f.network_interface_id for f in FLOWS],
            "vnic-id": [f.network_interface_id for f in FLOWS],
        }
    )


@pytest.fixture(scope="session")
def duck() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    register_functions(connection, EnrichmentFiles())  # as the engine does, so enrichment examples run too
    connection.register("flows", flow_table())
    connection.execute("CREATE TABLE FLOW_FLAT AS SELECT * FROM flows")
    connection.unregister("flows")
    connection.execute("CREATE TABLE __SOURCE AS SELECT * FROM FLOW_FLAT")
    yield connection
    connection.close()


COLUMN_TYPES = {
    "start_time": "VARCHAR",
    "capture_start_time": "TIMESTAMP",
    "connection_start_time": "TIMESTAMP",
    "target_port": "INTEGER",
}


def context(time_column: str = "", **changes: Any) -> MacroContext:
    values: dict[str, Any] = {
        "time_range": RANGE,
        "interval_ms": 300_000,
        "max_data_points": 1000,
        "time_column": time_column,
        "source_relation": "__SOURCE",
        "column_type": COLUMN_TYPES.get,
        "destination_configured": True,
        "request_ref_ids": frozenset({"A", "B"}),
    }
    values.update(changes)
    return MacroContext(**values)


def run(connection: duckdb.DuckDBPyConnection, sql: str, ctx: MacroContext | None = None) -> list[tuple[Any, ...]]:
    """Expand, translate to DuckDB and execute; the rows."""
    expanded = expand_macros(sql, ctx or context()).sql
    return connection.execute(translate(expanded, dialect="duckdb").sql).fetchall()
