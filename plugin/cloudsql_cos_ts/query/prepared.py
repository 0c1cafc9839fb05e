"""Remember prepared SQL per query, so a cache hit costs no macro expansion and no translation.

The cache key holds the translated SQL, and translating (sqlglot) takes milliseconds — more than
serving the hit itself. Preparation is a pure function of the datasource and its settings version, the
query text and the macro context the model gives, so its result is kept for exactly those inputs
(in memory, bounded, least recently used dropped first). Failures are not kept.
"""

from __future__ import annotations

from collections.abc import Callable

from cloudsql_cos_ts.dialect import Translation
from cloudsql_cos_ts.instances import DatasourceInstance
from cloudsql_cos_ts.lru import BoundedLru
from cloudsql_cos_ts.macros import Expansion
from cloudsql_cos_ts.query.model import QueryModel

Prepared = tuple[Expansion, Translation]
Prepare = Callable[[DatasourceInstance, QueryModel, frozenset[str]], Prepared]

MAX_REMEMBERED = 512


class PreparedSqlMemo:
    """A bounded, thread-safe memo in front of ``prepare``."""

    def __init__(self, prepare: Prepare, max_entries: int = MAX_REMEMBERED) -> None:
        self._prepare = prepare
        self._entries: BoundedLru[tuple[object, ...], Prepared] = BoundedLru(max_entries)

    def get(self, instance: DatasourceInstance, model: QueryModel, ref_ids: frozenset[str]) -> Prepared:
        settings = instance.settings
        key = (
            settings.identity,
            instance.engine.dialect,
            model.raw_sql,
            model.time_range,
            model.interval_ms,
            model.max_data_points,
            model.time_column,
            ref_ids,
        )
        found = self._entries.get(key)
        if found is not None:
            return found
        prepared = self._prepare(instance, model, ref_ids)
        self._entries.put(key, prepared)
        return prepared
