"""The cache key: a digest of everything that decides a query's frames, and nothing secret.

Two queries share an entry exactly when they would produce the same frames: same datasource (org,
numeric id and uid: a uid alone is only unique within an org) and settings version, same engine,
same SQL after macro expansion and translation, same fills, same shaping options, same effective
time range, same row limit and the same inputs (for chained queries, the keys of the results they
read). Only the hex digest is stored, so neither SQL text nor any setting appears in the store's key
column, and diskcache keeps a ``str`` key as-is (no pickle).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cloudsql_cos_ts import __version__
from cloudsql_cos_ts.timerange import TimeRange

KEY_VERSION = 3
"""Bump when the entry layout or the meaning of a key part changes: old entries then never match."""


@dataclass(frozen=True)
class ResultIdentity:
    """What one query's result depends on; secrets are never part of it."""

    # The datasource and its settings version as plain values (org, id, uid, lastUpdatedMS, settings
    # digest: settings/identity.py): any settings change gives new keys.
    datasource: tuple[int, int, str, int, str]
    engine: str
    sql: str  # the engine SQL after macro expansion and translation
    fills: str  # the $__timeGroup fill requests, which change rows the SQL does not show
    ref_id: str  # frames carry their refId
    format: str
    time_column: str
    metrics_column: str
    get_result: bool
    for_alerting: bool
    time_range: TimeRange  # the effective (aligned) range the macros were expanded with
    row_limit: int
    inputs: tuple[tuple[str, str], ...] = ()  # (relation name, cache key) of $__source_prev results
    # (relation name, URL, format) of cos://… STORED AS locations: the SQL names only the relation
    locations: tuple[tuple[str, str, str], ...] = ()
    plugin_version: str = __version__  # shaping and encoding may change between releases

    def digest(self) -> str:
        """A stable hex key for this identity (a frozen dataclass's repr names and quotes every field)."""
        return hashlib.sha256(f"{KEY_VERSION}:{self!r}".encode()).hexdigest()
