"""The query time range, in epoch milliseconds (UTC), as Grafana sends it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class TimeRange:
    from_ms: int
    to_ms: int

    @property
    def start(self) -> datetime:
        return datetime.fromtimestamp(self.from_ms / 1000, tz=UTC)

    @property
    def end(self) -> datetime:
        return datetime.fromtimestamp(self.to_ms / 1000, tz=UTC)
