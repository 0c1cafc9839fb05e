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
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass

import pyarrow as pa

from cloudsql_cos_ts.engines.spark.client import DataFrame, Session

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
