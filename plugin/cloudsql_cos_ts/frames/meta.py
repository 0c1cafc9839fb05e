"""A frame's metadata, typed as the SDK's ``FrameMeta`` and written to Grafana's JSON in one place.

Grafana decodes ``meta`` strictly (``data/frame_meta.go``): a notice severity other than info,
warning or error, a ``typeVersion`` that is not two numbers, or a stat without a number fails the
whole response. Building the meta as a typed value and serialising it only here (:meth:`FrameMeta.to_json`)
keeps every producer (shaping, the pipeline, a cache hit) to those rules. Only the fields the plugin
uses are modelled; ``custom`` is the SDK's free-form object.

A served cache entry is already encoded; :func:`restamp` rewrites the meta of one encoded frame
(reusing its Arrow buffers) so that answer can say what it is without reshaping anything.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import pyarrow as pa

from cloudsql_cos_ts.frames.ipc import ipc_file

Severity = Literal["info", "warning", "error"]

TYPE_VERSION = (0, 1)
"""The only dataplane contract version Grafana's readers know."""


@dataclass(frozen=True)
class Notice:
    severity: Severity
    text: str


@dataclass(frozen=True)
class QueryStat:
    """One figure of the Query inspector's Stats tab (the SDK's ``QueryStat``: a field config plus a value)."""

    display_name: str
    value: float
    unit: str = "none"  # a Grafana unit id: "none", "decbytes", "ms"

    def to_json(self) -> dict[str, Any]:
        return {"displayName": self.display_name, "value": self.value, "unit": self.unit}


@dataclass
class FrameMeta:
    """The SDK's FrameMeta fields this plugin writes; empty ones are left out of the JSON."""

    type: str | None = None  # a dataplane frame type, e.g. "timeseries-multi"
    type_version: tuple[int, int] | None = None
    executed_query_string: str = ""
    preferred_visualisation_type: str | None = None  # the SDK's British spelling
    notices: list[Notice] = field(default_factory=list)
    stats: list[QueryStat] = field(default_factory=list)
    custom: dict[str, Any] = field(default_factory=dict)

    def add_notice(self, severity: Severity, text: str) -> None:
        self.notices.append(Notice(severity, text))

    def of_type(self, kind: str) -> FrameMeta:
        """A copy for a frame of dataplane type ``kind``, with lists of its own (what is added to one
        frame's meta later stays on that frame)."""
        return replace(
            self,
            type=kind,
            type_version=TYPE_VERSION,
            notices=list(self.notices),
            stats=list(self.stats),
            custom=dict(self.custom),
        )

    def to_json(self) -> dict[str, Any]:
        """The JSON object Grafana's ``data.FrameMeta`` reads."""
        out: dict[str, Any] = {}
        if self.type is not None:
            out["type"] = self.type
        if self.type_version is not None:
            out["typeVersion"] = list(self.type_version)
        if self.executed_query_string:
            out["executedQueryString"] = self.executed_query_string
        if self.preferred_visualisation_type is not None:
            out["preferredVisualisationType"] = self.preferred_visualisation_type
        if self.notices:
            out["notices"] = [{"severity": n.severity, "text": n.text} for n in self.notices]
        if self.stats:
            out["stats"] = [stat.to_json() for stat in self.stats]
        if self.custom:
            out["custom"] = self.custom
        return out

    @staticmethod
    def from_json(obj: dict[str, Any]) -> FrameMeta:
        """The meta of an encoded frame this plugin wrote (the inverse of :meth:`to_json`)."""
        version = obj.get("typeVersion")
        return FrameMeta(
            type=obj.get("type"),
            type_version=(int(version[0]), int(version[1])) if isinstance(version, list) else None,
            executed_query_string=str(obj.get("executedQueryString", "")),
            preferred_visualisation_type=obj.get("preferredVisualisationType"),
            notices=[Notice(n["severity"], str(n["text"])) for n in obj.get("notices", [])],
            stats=[QueryStat(str(s["displayName"]), s["value"], str(s["unit"])) for s in obj.get("stats", [])],
            custom=dict(obj.get("custom", {})),
        )


def restamp(frame: bytes, update: Callable[[FrameMeta], None]) -> bytes:
    """``frame`` (Arrow IPC file bytes) with its meta changed by ``update``; its columns written uncompressed.

    An uncompressed frame's columns are reused as they are; a compressed one's are decompressed (quick)
    and not compressed again: compressing is what would make a cache hit of a big answer slow (W3 in
    docs/benchmarks.md), and a hit is sent right away, with no result table held beside it.
    """
    reader = pa.ipc.open_file(pa.py_buffer(frame))
    metadata = dict(reader.schema.metadata or {})
    meta = FrameMeta.from_json(json.loads(metadata.get(b"meta", b"{}")))
    update(meta)
    metadata[b"meta"] = json.dumps(meta.to_json(), default=str).encode()
    schema = reader.schema.with_metadata(metadata)
    batches = [reader.get_batch(index) for index in range(reader.num_record_batches)]
    return ipc_file(pa.Table.from_batches(batches, schema), compressible=False)
