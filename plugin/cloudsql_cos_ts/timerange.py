"""The query time range, in epoch milliseconds (UTC), as Grafana sends it."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime


def force_utc() -> None:
    """Make the process's local time zone UTC, before any engine is loaded.

    The plugin's SQL semantics are UTC throughout. DuckDB without its ICU extension converts
    TIMESTAMPTZ values with the C library's local zone, which is the host's zone (Grafana forwards
    no ``TZ``); a Grafana server in Berlin would otherwise shift every RFC 3339 time by two hours.
    """
    os.environ["TZ"] = "UTC"
    time.tzset()


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
