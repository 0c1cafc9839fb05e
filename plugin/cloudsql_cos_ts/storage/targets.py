"""Writing a result the way IBM's ``INTO cos://… [JOBPREFIX …] STORED AS … [PARTITIONED …]`` laid it out.

IBM SQL Query wrote below the target a ``jobid=<id>/`` folder unless ``JOBPREFIX NONE`` was given,
and split the result as the clause said: ``PARTITIONED BY (cols)`` into one Hive-style folder per
value (``col=value/``, the columns left out of the objects, as Spark writes them), ``PARTITIONED
INTO n OBJECTS`` into n objects, ``PARTITIONED EVERY n ROWS`` into objects of at most n rows.
Object names follow Spark's ``part-NNNNN.<format>``, so Spark, DuckDB and IBM's tools read the
folder back as one table. The location has been checked against the datasource's locations
(``settings/confinement.py``) by the caller.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from urllib.parse import quote

import pyarrow as pa
import pyarrow.compute as pc

from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.macros.model import DestSpec
from cloudsql_cos_ts.settings.datasource import Credentials
from cloudsql_cos_ts.settings.locations import CosLocation
from cloudsql_cos_ts.storage.factory import open_store
from cloudsql_cos_ts.storage.results import encode_table

_MAX_PARTITIONS = 10_000


def _folder_value(value: object) -> str:
    return "__HIVE_DEFAULT_PARTITION__" if value is None else quote(str(value), safe="")


def _by_values(table: pa.Table, columns: tuple[str, ...]) -> Iterator[tuple[str, pa.Table]]:
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise BadRequest(f"PARTITIONED BY names {', '.join(missing)}, which the result does not have")
    keys = table.select(list(columns)).group_by(list(columns)).aggregate([]).to_pylist()
    if len(keys) > _MAX_PARTITIONS:
        raise BadRequest(f"PARTITIONED BY gives {len(keys)} folders; at most {_MAX_PARTITIONS} can be written")
    rest = [c for c in table.column_names if c not in columns]
    for key in keys:
        mask = None
        for name in columns:
            column, value = table.column(name), key[name]
            match = pc.is_null(column) if value is None else pc.fill_null(pc.equal(column, value), False)
            mask = match if mask is None else pc.and_(mask, match)
        folder = "/".join(f"{name}={_folder_value(key[name])}" for name in columns)
        yield f"{folder}/", table.filter(mask).select(rest)


def _slices(table: pa.Table, size: int) -> Iterator[pa.Table]:
    for start in range(0, max(table.num_rows, 1), size):
        yield table.slice(start, size)


def _parts(table: pa.Table, dest: DestSpec) -> Iterator[tuple[str, pa.Table]]:
    """(folder below the target, objects' tables) as the clause lays them out."""
    if dest.partition_by:
        yield from _by_values(table, dest.partition_by)
    elif dest.objects is not None:
        size = -(-table.num_rows // dest.objects) or 1
        for piece in _slices(table, size):
            yield "", piece
    elif dest.rows_per_object is not None:
        for piece in _slices(table, dest.rows_per_object):
            yield "", piece
    else:
        yield "", table


def write_target(table: pa.Table, location: CosLocation, dest: DestSpec, credentials: Credentials) -> str:
    """Write ``table`` below ``location`` as ``dest`` says; returns the folder written (for the notice)."""
    target = location.child(f"jobid={uuid.uuid4()}") if dest.job_prefix else location
    store, prefix = open_store(target, credentials)
    counters: dict[str, int] = {}
    for folder, piece in _parts(table, dest):
        number = counters[folder] = counters.get(folder, -1) + 1
        store.put(f"{prefix}{folder}part-{number:05d}.{dest.format}", encode_table(piece, dest.format))
    return target.describe()
