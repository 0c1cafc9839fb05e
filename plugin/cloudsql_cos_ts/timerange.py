"""The query time range, in epoch milliseconds (UTC), as Grafana sends it."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

EARLIEST_MS, LATEST_MS = -62_135_596_800_000, 253_402_300_799_999
"""The first and last millisecond of the years 1 to 9999: what Python's datetime (macros, shaping) can hold."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def moment(epoch_ms: int) -> datetime:
    """The UTC instant ``epoch_ms`` milliseconds after 1970, computed exactly.

    ``datetime.fromtimestamp(ms / 1000)`` goes through a float, which rounds the last millisecond
    of the year 9999 (253402300799.999 s) up to the year 10000 and fails; integer arithmetic holds
    every millisecond between :data:`EARLIEST_MS` and :data:`LATEST_MS`.
    """
    return _EPOCH + timedelta(milliseconds=epoch_ms)


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
        return moment(self.from_ms)

    @property
    def end(self) -> datetime:
        return moment(self.to_ms)
