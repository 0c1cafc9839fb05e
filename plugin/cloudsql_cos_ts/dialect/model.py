"""Results of :func:`cloudsql_cos_ts.dialect.translate`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from cloudsql_cos_ts.dialect.time_bounds import RelationBounds

ExternalFormat = Literal["json", "parquet", "csv", "orc", "avro"]
EXTERNAL_FORMATS: tuple[ExternalFormat, ...] = ("json", "parquet", "csv", "orc", "avro")  # IBM's STORED AS


@dataclass(frozen=True)
class ExternalRef:
    """An IBM-style ``cos://<region>/<bucket>/<prefix> STORED AS <format>`` table reference.

    The SQL reads it as ``relation``; the engine registers that name over the objects (through the
    storage layer and its sandbox).
    """

    url: str
    format: ExternalFormat
    relation: str


@dataclass(frozen=True)
class ExternalTarget:
    """IBM's ``INTO cos://… [JOBPREFIX JOBID|NONE] STORED AS fmt [PARTITIONED …]`` (``into_target.py``)."""

    url: str
    format: ExternalFormat
    job_prefix: bool = True  # JOBPREFIX JOBID, IBM's default: the objects go below jobid=<id>/
    partition_by: tuple[str, ...] = ()  # PARTITIONED BY (cols): one folder per value, col=value/
    objects: int | None = None  # PARTITIONED INTO n OBJECTS
    rows_per_object: int | None = None  # PARTITIONED EVERY n ROWS


@dataclass(frozen=True)
class Translation:
    sql: str  # one read-only statement in the target dialect
    referenced: frozenset[str]  # UPPER-cased relation names the statement reads; CTE names excluded
    external: tuple[ExternalRef, ...]
    schema_only: frozenset[str] = frozenset()  # of ``referenced``: read only by DESCRIBE (columns, no rows)
    target: ExternalTarget | None = None  # INTO cos://…: the plugin writes the result there
    # of ``referenced``: the record times the query's own predicates allow (``time_bounds.py``)
    time_bounds: RelationBounds = field(default_factory=dict)
