"""The data that goes into and comes out of macro expansion.

Kept apart from the expansion code so the pipeline, the resource endpoint and the tests can build
contexts and read results without importing the macro implementations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from cloudsql_cos_ts.timerange import TimeRange

DestFormat = Literal["parquet", "csv", "json", "orc"]  # $__dest writes the first three; INTO cos://… also ORC
FillMode = Literal["null", "previous", "value"]


@dataclass(frozen=True)
class MacroContext:
    """What the macros of one query may use.

    ``column_type`` answers the type of a column of the source by name (``"VARCHAR"``,
    ``"TIMESTAMP"``, ``"BIGINT"`` …, or ``None`` when unknown); it drives the type inference of
    ``$__timeFilter`` / ``$__timeFilterColumn`` / ``$__timeGroup`` when no type is written.
    """

    time_range: TimeRange
    interval_ms: int
    max_data_points: int
    time_column: str  # the query's Time Column setting ('' = none)
    source_relation: str | None  # what $__source becomes; None = no source configured
    column_type: Callable[[str], str | None]
    destination_configured: bool
    request_ref_ids: frozenset[str]  # refIds of this request, for $__source_prev


@dataclass(frozen=True)
class DestSpec:
    """``INTO $__dest(format, suffix)``: the plugin writes the result under ``<destination>/<suffix>``."""

    format: DestFormat
    suffix: str  # relative path below the destination ('' = the destination itself)
    # IBM's INTO cos://… clause instead (dialect/into_target.py): this location, checked against the
    # datasource's locations when written, and how the objects are laid out below it
    location: str | None = None
    job_prefix: bool = False  # below jobid=<id>/
    partition_by: tuple[str, ...] = ()  # one col=value/ folder per value, without those columns
    objects: int | None = None  # this many objects
    rows_per_object: int | None = None  # objects of at most this many rows


@dataclass(frozen=True)
class TimeGroupFill:
    """A ``$__timeGroup(col, interval, fill)`` request: fill empty buckets of the result.

    ``column`` is the result column holding the buckets when the SQL names it (``AS name``, or
    ``time`` for ``$__timeGroupAlias``); ``None`` means the first timestamp column of the result.
    """

    interval_ms: int
    mode: FillMode
    value: float | None  # the number for mode "value"
    column: str | None


@dataclass(frozen=True)
class Expansion:
    """The result of :func:`expand_macros`."""

    sql: str  # still IBM/Spark dialect; every expansion is visible here
    dest: DestSpec | None  # INTO $__dest(...) — the INTO clause is removed from ``sql``
    prev_refs: tuple[str, ...]  # refIds read through $__source_prev(RefId), in order of appearance
    fills: tuple[TimeGroupFill, ...]


@dataclass
class Findings:
    """What the macros of one query found while expanding (mutable, filled in by the macros)."""

    dest: DestSpec | None = None
    prev_refs: list[str] = field(default_factory=list)
    fills: list[TimeGroupFill] = field(default_factory=list)


@dataclass(frozen=True)
class MacroCall:
    """One ``$__name`` or ``$__name(args)`` occurrence, with what surrounds it.

    ``args`` is ``None`` without parentheses and ``()`` for ``$__name()``; arguments are already
    macro-expanded. ``position`` is a ``line L, column C`` text for messages.
    """

    name: str
    args: tuple[str, ...] | None
    position: str
    previous_word: str | None  # upper-cased keyword right before the call (e.g. "INTO")
    alias: str | None  # the name after a following AS, quotes removed

    def describe(self) -> str:
        return f"{self.name} at {self.position}"
