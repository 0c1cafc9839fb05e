"""The contract every engine implements (embedded DuckDB, Spark Connect, IBM Data Engine).

The pipeline above it has already expanded macros and translated the SQL into ``Engine.dialect``;
an engine only runs a read query, describes a relation and reports its health. Everything
engine-specific (sandboxing, how sources become tables, cancellation) stays inside the engine
module, so a new engine is a new module and not edits across the code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.dialect.model import ExternalRef
from cloudsql_cos_ts.engines.answer_memory import AnswerMemory
from cloudsql_cos_ts.flowlogs.estimate import SourceEstimate
from cloudsql_cos_ts.flowlogs.scan import SourceScan
from cloudsql_cos_ts.macros.model import DestSpec
from cloudsql_cos_ts.timerange import TimeRange

if TYPE_CHECKING:
    import pyarrow as pa


class BatchSink(Protocol):
    """Takes a result's record batches as the engine produces them (a frame encoded as it arrives)."""

    @property
    def held_bytes(self) -> int:
        """What the sink holds of the batches it was given."""
        ...

    def add(self, batch: pa.RecordBatch) -> None: ...


@dataclass
class ExecutionRequest:
    """One read statement, ready for the engine."""

    sql: str  # in the engine's dialect; a single read-only statement
    time_range: TimeRange  # the dashboard range
    cancel: CancelToken
    row_limit: int
    memory: AnswerMemory | None = None  # the query's answer-memory account; the engine reports the result's bytes
    referenced: frozenset[str] = frozenset()  # upper-cased relation names the SQL reads
    schema_only: frozenset[str] = frozenset()  # of those, the ones only DESCRIBE reads (no rows needed)
    tables: Mapping[str, pa.Table] = field(default_factory=dict)  # results of earlier queries by name
    chained: bool = False  # later queries of the request read this result (an engine may keep it for them)
    # cos://… STORED AS relations the SQL reads (named in referenced), and what each reads of its location
    external: Mapping[ExternalRef, SourceScan] = field(default_factory=dict)
    # INTO $__dest(...): an engine whose service stores results itself (Data Engine) may write it there and
    # say so in ExecutionResult.written; other engines ignore it and the pipeline writes the table.
    dest: DestSpec | None = None
    scan: SourceScan | None = None  # what the configured source reads; None: the dashboard range, as is
    # Where an engine that produces its result in batches may hand them over instead of returning them: its
    # ExecutionResult.table then has the result's columns and no rows. Engines that return whole tables ignore it.
    sink: BatchSink | None = None

    def source_scan(self) -> SourceScan:
        """The part of the configured source the query reads (``flowlogs/scan.py``)."""
        return self.scan or SourceScan(self.time_range)


@dataclass
class ExecutionResult:
    table: pa.Table
    truncated: bool = False  # more rows existed than row_limit
    stats: dict[str, Any] = field(default_factory=dict)  # objects listed/read, bytes, timings
    written: str | None = None  # where the engine stored the result for ExecutionRequest.dest
    damaged: tuple[str, ...] = ()  # keys of source objects that could not be read and were left out
    notices: tuple[str, ...] = ()  # warnings about how the sources were read (a flow-lake fallback)


class Engine(Protocol):
    """A way to run the plugin's SQL."""

    name: str
    dialect: str  # sqlglot dialect name the pipeline translates to

    def execute(self, request: ExecutionRequest) -> ExecutionResult:
        """Run the statement; raise a :class:`~cloudsql_cos_ts.errors.PluginError` on failure."""
        ...

    def estimate(self, request: ExecutionRequest) -> SourceEstimate:
        """What ``execute`` would read of the sources, from their listings only (``flowlogs/estimate.py``)."""
        ...

    def explain(self, request: ExecutionRequest) -> str:
        """The engine's plan of the statement, made without reading any source object; a 400 if it has none."""
        ...

    def health(self, cancel: CancelToken) -> str:
        """A short readiness line (e.g. the engine version); raise when the engine is unusable."""
        ...

    def close(self) -> None:
        """Release connections and threads (the datasource settings changed or the plugin stops)."""
        ...
