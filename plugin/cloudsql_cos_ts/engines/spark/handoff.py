"""A chained query's input kept inside Spark, so ``$__source_prev(A)`` need not travel through the plugin.

Query A's result goes to the plugin as Arrow (for its answer, the result cache, ``$__dest``), and a query B
of the same request that reads it would otherwise send those rows back into Spark as a local relation:
the upload and a scan of rows shipped inside the tasks cost Spark more than reading A's own stored copy.
So a result that later queries read is checkpointed in A's session (the rows A's answer holds) and
remembered with the very Arrow table the plugin got. B reads the checkpoint only when it runs in that
session and its input is that same table object (no fill rows added, not a cached copy), else it sends
the table as before: either way B reads the same rows.

A checkpoint is not named in any catalog: it is reachable only through the DataFrame held here, in one
datasource's engine and one of its sessions, so no other datasource's (or request's SQL) can name it.
Each is read at most once and few are kept; dropping the DataFrame releases it on the server.

The hand-off only saves work, so it never decides an answer: when Spark cannot make or read A's checkpoint,
A's rows are collected as without it and B gets them sent (``collect_kept``; the engine retries B the same
way when reading a checkpoint fails).
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pyarrow as pa

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.engines.spark.client import DataFrame, Session
from cloudsql_cos_ts.engines.spark.errors import spark_message
from cloudsql_cos_ts.log import log

MAX_KEPT = 4  # results waiting for their reader; a request whose reader never ran leaves one behind


@dataclass
class _Kept:
    table: weakref.ref[pa.Table]  # the plugin's copy: the identity B's input must have
    session: Session
    frame: DataFrame  # the checkpoint; its release on the server follows this object's end


class Handoff:
    """Thread-safe; one per engine (one datasource)."""

    def __init__(self, max_kept: int = MAX_KEPT) -> None:
        self._kept: OrderedDict[int, _Kept] = OrderedDict()
        self._max = max_kept
        self._lock = threading.Lock()

    def keep(self, table: pa.Table, session: Session, frame: DataFrame) -> None:
        """Remember ``frame`` (checkpointed in ``session``, holding ``table``'s rows) for a later reader."""
        with self._lock:
            dropped = [key for key, kept in self._kept.items() if kept.table() is None]
            released = [self._kept.pop(key) for key in dropped]
            self._kept[id(table)] = _Kept(weakref.ref(table), session, frame)
            while len(self._kept) > self._max:
                released.append(self._kept.popitem(last=False)[1])
        del released  # the checkpoints' releases go out here, outside the lock

    def holds(self, tables: list[pa.Table]) -> set[Session]:
        """The sessions holding a checkpoint of any of ``tables`` (to lease one of them)."""
        with self._lock:
            return {kept.session for table in tables if (kept := self._find(table)) is not None}

    def take(self, table: pa.Table, session: Session) -> DataFrame | None:
        """The checkpoint of ``table`` if ``session`` holds it (given out once), else None."""
        with self._lock:
            kept = self._find(table)
            if kept is None or kept.session is not session:
                return None
            del self._kept[id(table)]
            return kept.frame

    def _find(self, table: pa.Table) -> _Kept | None:
        """Called with the lock held; an id reused by another table after the first one's end never matches."""
        kept = self._kept.get(id(table))
        return kept if kept is not None and kept.table() is table else None


def collect_kept(frame: DataFrame, session: Session, cancel: CancelToken) -> tuple[pa.Table, DataFrame | None]:
    """``frame``'s rows and their checkpoint in ``session``; when Spark fails to make or read the checkpoint,
    the rows collected without one (None), unless the query was stopped.

    The checkpoint is lazy: the one job that collects the rows stores them as it goes (Spark computes what the
    collect left out before it marks the checkpoint done), instead of a job that stores them and a second
    that reads them back for the plugin.
    """
    try:
        with _active(session):
            stored = frame.localCheckpoint(eager=False)
        return stored.toArrow(), stored
    except Exception as exc:
        if cancel.is_cancelled():
            raise
        table = frame.toArrow()  # a failure of the statement itself is raised from here, as without the hand-off
        log.warn("Spark could not keep a result for the query reading it; its rows are sent", error=spark_message(exc))
        return table, None


@contextmanager
def _active(session: Session) -> Iterator[None]:
    """``session`` as the thread's active pyspark session while it checkpoints.

    pyspark's client binds the DataFrame a checkpoint returns to the thread's active session (else the
    process's first), not to the session that ran it. With several sessions in one process (a datasource's
    pool, other datasources) the checkpoint was then looked up in another session, where Spark has no such
    DataFrame. A client without that thread-local is left as it is: a wrong binding fails the read, and
    ``collect_kept`` falls back.
    """
    active = getattr(type(session), "_active_session", None)  # pyspark's threading.local
    if active is None:
        yield
        return
    before = getattr(active, "session", None)
    active.session = session
    try:
        yield
    finally:
        active.session = before
