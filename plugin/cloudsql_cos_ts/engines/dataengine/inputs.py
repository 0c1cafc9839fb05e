"""``$__source_prev(A)`` on Data Engine: the service reads A's result where it stored it.

The pipeline hands a chained query the earlier results as Arrow tables (``ExecutionRequest.tables``),
the same for every engine. This engine remembers, for each table it returned, the job's
``resultset_location`` and format (keyed by the table object through a weak reference, so nothing
is kept alive and the pipeline needs no engine-specific field). A chained query then reads
``<resultset_location> STORED AS <format>`` directly: no data goes through the plugin.

A table the engine does not know (the result came from the disk cache, ``$__timeGroup`` fill rows
were added, or it was cut at the row limit) is uploaded once as Parquet below the destination's
``cloudsql-cos-ts-inputs/`` folder and read from there.
"""

from __future__ import annotations

import threading
import uuid
import weakref
from dataclasses import dataclass

import pyarrow as pa

from cloudsql_cos_ts.settings.datasource import Credentials
from cloudsql_cos_ts.settings.locations import Location
from cloudsql_cos_ts.storage.results import result_location, write_result

INPUTS_FOLDER = "cloudsql-cos-ts-inputs"
_MAX_ENTRIES = 4096


@dataclass(frozen=True)
class StoredResult:
    """Objects the service can read as a table."""

    url: str  # cos://…/ folder
    format: str  # csv, parquet, json

    def relation(self) -> str:
        return f"(SELECT * FROM {self.url} STORED AS {self.format.upper()})"


class ResultBook:
    """Where each table this engine returned is stored; thread-safe, forgets tables once they are freed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[int, tuple[weakref.ref[pa.Table], StoredResult]] = {}

    def remember(self, table: pa.Table, stored: StoredResult) -> None:
        key = id(table)

        def forget(_: weakref.ref[pa.Table]) -> None:
            with self._lock:
                entry = self._entries.get(key)
                if entry is not None and entry[0]() is None:
                    del self._entries[key]

        with self._lock:
            if len(self._entries) >= _MAX_ENTRIES:
                self._entries.pop(next(iter(self._entries)))
            self._entries[key] = (weakref.ref(table, forget), stored)

    def lookup(self, table: pa.Table) -> StoredResult | None:
        with self._lock:
            entry = self._entries.get(id(table))
        return entry[1] if entry is not None and entry[0]() is table else None


def upload_input(table: pa.Table, destination: Location, credentials: Credentials) -> StoredResult:
    """Write ``table`` as Parquet below the destination for the service to read."""
    suffix = f"{INPUTS_FOLDER}/{uuid.uuid4().hex}"
    write_result(table, destination, "parquet", suffix, credentials)
    return StoredResult(result_location(destination, suffix).describe(), "parquet")
