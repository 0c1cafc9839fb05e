"""W1's baselines: plain DuckDB over the generated gzip JSON files, and over one Parquet file of the same rows.

Same DuckDB version and thread count as the plugin's engine. The JSON baseline is ``read_json`` with
the same explicit columns the ingest path declares, hive partitioning for the key's ``name=value``
folders, and a ``FLOW_FLAT`` view by ``unnest``: what a user of plain DuckDB would write. Every query
reads the files again (there is no cache), which is what "cold" is compared with. The Parquet
baseline is the engine's limit for a warm dashboard: ``FLOW_FLAT``'s rows, written once into one
Parquet file, read by a view with nothing else in between (no listing, no per-object filter).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

import duckdb
import pyarrow as pa
from w1_cost import Cost, own_cpu

from cloudsql_cos_ts.flowlogs.schema import (
    FLOW_FLAT_COLUMNS,
    HEADER_JSON,
    PARTITIONS,
    RECORD_MEMBERS,
    RECORD_STRUCT,
    quote_identifier,
)
from cloudsql_cos_ts.macros import prev_relation_name

_HEADER = {name for name, _ in HEADER_JSON}
_PARTITION = {name for name, _ in PARTITIONS}
_RECORD = {name for name, _ in RECORD_MEMBERS}


def _reader(data: Path) -> str:
    columns = [*HEADER_JSON, ("flow_logs", f"{RECORD_STRUCT}[]")]
    spec = ", ".join(f"'{name}': '{kind}'" for name, kind in columns)
    hive_types = ", ".join(f"'{name}': '{kind}'" for name, kind in PARTITIONS)
    return (
        f"read_json('{data}/ibm_vpc_flowlogs_v1/**/*.gz', columns={{{spec}}}, format='auto', "
        f"hive_partitioning=true, hive_types={{{hive_types}}})"
    )


def _column(name: str, kind: str) -> str:
    """One FLOW_FLAT column from the document row ``d`` and its unnested record ``r``."""
    if name in _RECORD:
        source = f"r.{quote_identifier(name)}"
    elif name in _HEADER or name in _PARTITION:
        source = f"d.{quote_identifier(name)}"
    else:
        raise ValueError(f"FLOW_FLAT column {name!r} has no raw source")
    return f"CAST({source} AS {kind}) AS {quote_identifier(name)}"


def flow_flat_view(data: Path) -> str:
    """``CREATE VIEW FLOW_FLAT`` over the gzip files, columns in FLOW_FLAT's order and types."""
    select = ", ".join(_column(name, kind) for name, kind in FLOW_FLAT_COLUMNS)
    return (
        f"CREATE OR REPLACE VIEW FLOW_FLAT AS SELECT {select} "
        f"FROM (SELECT *, unnest(flow_logs) AS r FROM {_reader(data)}) AS d"
    )


def parquet_copy(data: Path, threads: int, memory_limit: str) -> Path:
    """One Parquet file of the raw ``FLOW_FLAT`` rows, written next to the data set once and kept."""
    path = data / ".w1-flow-flat.parquet"
    if not path.exists():
        raw = RawDuckDB(flow_flat_view(data), threads, memory_limit)
        try:
            raw.copy_to(path.with_suffix(".tmp"))
        finally:
            raw.close()
        path.with_suffix(".tmp").rename(path)
    return path


def parquet_view(path: Path) -> str:
    return f"CREATE OR REPLACE VIEW FLOW_FLAT AS SELECT * FROM read_parquet('{path}')"


# DuckDB spills to ./.tmp of the working directory by default, without a limit (a benchmark run from the
# repository once filled the disk with 38 GB there): raw connections spill to a bounded temporary folder.
SPILL = {"temp_directory": str(Path(tempfile.gettempdir()) / "cloudsql-bench-spill"), "max_temp_directory_size": "8GB"}


def raw_connection(threads: int, memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """A plain in-memory DuckDB with the benchmarks' thread count, memory limit and bounded spill folder."""
    config: dict[str, str | int] = {"threads": threads, **SPILL}
    if memory_limit:
        config["memory_limit"] = memory_limit
    connection = duckdb.connect(":memory:", config=config)
    # the engine keeps the footers of the Parquet files it reads again and again: so do the baselines
    connection.execute("SET parquet_metadata_cache = true")
    return connection


class RawDuckDB:
    """A plain DuckDB connection with a FLOW_FLAT view (``flow_flat_view`` or ``parquet_view``, or each
    statement's own views); runs engine SQL."""

    def __init__(self, view: str | None, threads: int, memory_limit: str) -> None:
        self._conn = raw_connection(threads, memory_limit)
        self._dest = Path(tempfile.mkdtemp(prefix="w1-dest-"))  # where results a query stores go
        if view is not None:
            self._conn.execute(view)

    def copy_to(self, path: Path) -> None:
        self._conn.execute(f"COPY (SELECT * FROM FLOW_FLAT) TO '{path}' (FORMAT parquet)")

    def run(
        self, sql: str, previous: dict[str, pa.Table], views: Mapping[str, str] | None = None, *, store: bool = False
    ) -> tuple[pa.Table, Cost]:
        """The result and its cost; ``previous`` results are registered as ``$__source_prev``, ``views``
        (name to ``SELECT`` body, as the plugin's engine made them for this statement) as temporary views.
        With ``store`` the result is also written as a Parquet file (``COPY``), as the plugin writes the
        result of an ``INTO $__dest(parquet)`` query, and that write is part of the cost."""
        cursor = self._conn.cursor()
        try:
            for ref, table in previous.items():
                cursor.register(prev_relation_name(ref), table)
            for name, body in (views or {}).items():
                cursor.execute(f"CREATE OR REPLACE TEMP VIEW {quote_identifier(name)} AS {body}")
            wall, cpu = time.perf_counter(), own_cpu()
            table = cursor.sql(sql).to_arrow_table()
            if store:
                cursor.register("w1_result", table)
                cursor.execute(f"COPY w1_result TO '{self._dest / 'part-00000.parquet'}' (FORMAT parquet)")
            return table, Cost(time.perf_counter() - wall, own_cpu() - cpu)
        finally:
            cursor.close()

    def close(self) -> None:
        self._conn.close()
        shutil.rmtree(self._dest, ignore_errors=True)
