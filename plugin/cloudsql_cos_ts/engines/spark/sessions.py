"""Spark Connect sessions of one datasource, leased one per running query.

Temporary views live in a Spark session, and every query registers its own FLOW / FLOW_FLAT (pruned
to its time range) and ``$__source_prev`` tables under fixed names; concurrent panels sharing one
session would replace each other's views mid-query. So a datasource keeps a small pool: a query
leases a session (a new one when none is idle), and gives it back with its views dropped. Creating
a Spark Connect session costs one round trip; the pool keeps a few idle ones to avoid even that.
A pool belongs to one datasource, so the settings it puts in its sessions (COS keys) are never in
another datasource's session.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress

from cloudsql_cos_ts.engines.spark.client import Session

MAX_IDLE = 4
SESSION_CONF = {
    # The plugin's SQL is UTC throughout (RFC 3339 strings, Grafana's epoch times).
    "spark.sql.session.timeZone": "UTC",
    # IBM SQL Query ran Spark 3 with ANSI off: a conversion that fails (to_timestamp(''), a cast of
    # text that is no number) is NULL, never an error. Spark 4 servers default to ANSI on; the
    # answer must not depend on the server's default.
    "spark.sql.ansi.enabled": "false",
    # Spark replaces ${name} in SQL text with the session's settings, the server's environment
    # (${env:HOME}) and its system properties. The COS keys would come out redacted (their names match
    # spark.redaction.regex), but the endpoint and whatever the cluster keeps in its environment would not.
    "spark.sql.variable.substitute": "false",
    # Arrow tables the plugin sends ($__source_prev results, DESCRIBE) arrive as local relations; this
    # rule evaluates a projection over one row by row in the driver's interpreter, which for a chained
    # query's input costs more than the whole aggregation after it. Without it the projection runs as
    # generated code in a task; the answer is the same (an optimizer rule never changes it).
    "spark.sql.optimizer.excludedRules": "org.apache.spark.sql.catalyst.optimizer.ConvertToLocalRelation",
}


class SessionPool:
    """Thread-safe: ``lease()`` from any thread; each leased session is used by one query at a time."""

    def __init__(
        self, open_session: Callable[[], Session], datasource_conf: Mapping[str, str], max_idle: int = MAX_IDLE
    ) -> None:
        self._open = open_session
        self._conf = {**SESSION_CONF, **datasource_conf}  # the datasource's own (S3A settings), in its sessions only
        self._max_idle = max_idle
        self._idle: list[Session] = []
        self._lock = threading.Lock()
        self._closed = False

    def _new(self) -> Session:
        session = self._open()
        for key, value in self._conf.items():
            session.conf.set(key, value)
        return session

    @contextmanager
    def lease(self, prefer: Callable[[Session], bool] | None = None) -> Iterator[Session]:
        """An idle session (the last one ``prefer`` accepts, else the last one given back) or a new one."""
        with self._lock:
            session = self._take(prefer)
        session = session or self._new()
        healthy = False
        try:
            yield session
            healthy = True
        finally:
            self._give_back(session, healthy)

    def _take(self, prefer: Callable[[Session], bool] | None) -> Session | None:
        """Called with the lock held. A session keeps what earlier queries set up in it (the enrichment
        functions, and the Python workers the server started for them), which ``prefer`` looks for."""
        if not self._idle:
            return None
        chosen = next((s for s in reversed(self._idle) if prefer(s)), None) if prefer else None
        chosen = chosen or self._idle[-1]
        self._idle.remove(chosen)
        return chosen

    def _give_back(self, session: Session, healthy: bool) -> None:
        with self._lock:
            keep = healthy and not self._closed and len(self._idle) < self._max_idle
            if keep:
                self._idle.append(session)
        if not keep:
            _stop(session)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for session in idle:
            _stop(session)


def _stop(session: Session) -> None:
    """Release the session on the server; a server that is already gone is not an error here."""
    with suppress(Exception):
        session.stop()
