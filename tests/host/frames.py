"""Read the data frames ``POST /api/ds/query`` returns (the SDK's JSON encoding of Arrow frames, as Grafana sends it).

Each frame is ``{"schema": {"fields": [{"name", "type", "labels"}...]}, "data": {"values": [column...]}}``
with times as epoch milliseconds. The helpers turn that into rows and series so the tests compare
plain Python values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Frame:
    names: list[str]
    types: list[str]
    labels: list[dict[str, str]]
    columns: list[list[Any]]

    @classmethod
    def from_json(cls, frame: dict[str, Any]) -> Frame:
        fields = frame["schema"]["fields"]
        columns = frame.get("data", {}).get("values", [[] for _ in fields])
        return cls(
            names=[f["name"] for f in fields],
            types=[f.get("type", "") for f in fields],
            labels=[f.get("labels") or {} for f in fields],
            columns=[list(c) for c in columns],
        )

    def rows(self) -> list[tuple[Any, ...]]:
        return list(zip(*self.columns, strict=True))

    def series(self) -> dict[int, float]:
        """A time series frame (time, value) as {epoch ms: value}."""
        assert self.types[0] == "time" and len(self.columns) == 2, (self.names, self.types)
        return dict(zip(self.columns[0], self.columns[1], strict=True))

    def value_labels(self) -> dict[str, str]:
        return self.labels[1]


@dataclass(frozen=True)
class QueryResult:
    error: str
    frames: list[Frame]


def results_of(body: dict[str, Any]) -> dict[str, QueryResult]:
    """``{"results": {refId: {"error", "frames"}}}`` by refId."""
    return {
        ref: QueryResult(
            error=result.get("error", ""),
            frames=[Frame.from_json(f) for f in result.get("frames") or []],
        )
        for ref, result in body["results"].items()
    }
