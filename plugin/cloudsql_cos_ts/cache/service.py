"""The cache as the query pipeline sees it: align a model, decide a policy, serve an answer.

The pipeline stays in charge of running a query; this module decides whether it has to. A query is
served from the store when its key is there and the request may read (not ``FromAlert``, not
``X-Cache-Skip``): :meth:`ResultCache.stored`. Otherwise it joins or starts the single flight for
its key, whose result is stored for the query's TTL (skipping requests still refresh the entry):
:meth:`ResultCache.run`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import pyarrow as pa

from cloudsql_cos_ts import metrics
from cloudsql_cos_ts.cache.align import align_range, alignment_step_ms
from cloudsql_cos_ts.cache.entry import CachedResult
from cloudsql_cos_ts.cache.flight import SingleFlight
from cloudsql_cos_ts.cache.freshness import is_settled, time_to_live
from cloudsql_cos_ts.cache.meta import cache_meta, with_cache_meta
from cloudsql_cos_ts.cache.store import ResultStore
from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.query.model import QueryModel
from cloudsql_cos_ts.settings.datasource import DatasourceSettings
from cloudsql_cos_ts.settings.plugin import PluginSettings

RESULTS_FOLDER = "results"


@dataclass(frozen=True)
class CachePolicy:
    """What the cache may do for one query."""

    key: str | None  # None: the query is an action ($__dest) or reads an uncacheable input: always run it alone
    ttl_s: int  # 0: do not store
    read: bool  # False for FromAlert / X-Cache-Skip: run, then refresh the entry
    keep_table: bool  # the result table is read by another query (or getResult is off): store and require it
    tag: str  # the datasource uid, for clearing its entries
    timeout_s: float  # the shared run's own time limit (the datasource's query timeout)


@dataclass
class Served:
    frames: list[bytes]
    table: pa.Table | None
    hit: bool
    reusable_until: float | None = None  # a hit: until when the same frames answer the same query


class ResultCache:
    """Result store plus single flight for the queries of one plugin process."""

    def __init__(self, store: ResultStore) -> None:
        self._store = store
        self._flights: SingleFlight[CachedResult] = SingleFlight()

    def effective_model(self, model: QueryModel, settings: DatasourceSettings, *, for_alerting: bool) -> QueryModel:
        """``model`` with its time range aligned when that lets refreshes share entries.

        Alerting keeps its exact window (stable output); settled ranges repeat as they are; and
        with caching off there is nothing to share.
        """
        now_ms = _now_ms()
        if for_alerting or not settings.cache_align_ranges or self._ttl(model, settings, now_ms) == 0:
            return model
        if is_settled(model.time_range, now_ms, settings.cache_settle_s):
            return model
        step = alignment_step_ms(model.time_range, model.interval_ms, settings.cache_align_step_s)
        return replace(model, time_range=align_range(model.time_range, step))

    def policy(
        self,
        key: str | None,
        model: QueryModel,
        settings: DatasourceSettings,
        *,
        read: bool,
        keep_table: bool,
    ) -> CachePolicy:
        return CachePolicy(
            key=key,
            ttl_s=self._ttl(model, settings, _now_ms()),
            read=read,
            keep_table=keep_table,
            tag=settings.uid,
            timeout_s=settings.query_timeout_s,
        )

    def stored(self, policy: CachePolicy) -> Served | None:
        """The stored answer, when the request may read one and it is there (no token needed: no waiting)."""
        if policy.key is None or not policy.read:
            return None
        found = self._usable(policy)
        if found is None:
            return None
        metrics.labelled(metrics.CACHE_EVENTS, "hit").inc()
        return served_from_store(found)

    def run(self, policy: CachePolicy, token: CancelToken, compute: Callable[[CancelToken], CachedResult]) -> Served:
        """Join or start the single run for the query's key, and store its result.

        ``compute`` runs the query with the token it is given and returns frames whose meta already
        says ``hit: false``. Raises :class:`~cloudsql_cos_ts.cache.flight.WaiterLeft` when ``token``
        fires while waiting for a shared run.
        """
        if policy.key is None:
            return _fresh(compute(token))
        result, joined = self._flights.run(
            policy.key, token, lambda shared: self._run_and_store(policy, compute, shared), timeout_s=policy.timeout_s
        )
        metrics.CACHE_EVENTS.labels(event="shared" if joined else "miss").inc()
        return _fresh(result)

    def clear_datasource(self, uid: str) -> int:
        return self._store.clear_datasource(uid)

    def generation(self) -> int:
        return self._store.generation()

    def _usable(self, policy: CachePolicy) -> CachedResult | None:
        assert policy.key is not None
        found = self._store.get(policy.key)
        if found is None or (policy.keep_table and found.table is None):
            return None
        return found

    def _run_and_store(
        self, policy: CachePolicy, compute: Callable[[CancelToken], CachedResult], token: CancelToken
    ) -> CachedResult:
        """Runs on the flight's own short-lived thread, whose store connections are closed at the end."""
        try:
            if policy.read:  # an identical run may have finished between our lookup and this flight
                found = self._usable(policy)
                if found is not None:
                    return found
            result = compute(token)
            if policy.ttl_s > 0 and policy.key is not None:
                self._store.put(policy.key, result, ttl_s=policy.ttl_s, tag=policy.tag, with_table=policy.keep_table)
            return result
        finally:
            self._store.release_thread()

    @staticmethod
    def _ttl(model: QueryModel, settings: DatasourceSettings, now_ms: int) -> int:
        return time_to_live(
            datasource_ttl_s=settings.cache_ttl_s,
            query_ttl_s=model.cache_ttl_s,
            time_range=model.time_range,
            now_ms=now_ms,
            settle_s=settings.cache_settle_s,
        )


def _fresh(result: CachedResult) -> Served:
    return Served(frames=result.frames, table=result.table, hit=False)


def served_from_store(entry: CachedResult) -> Served:
    """The entry's frames with ``hit: true`` and its age in whole seconds in the first frame's meta."""
    age_s = int(max(0.0, time.time() - entry.created))
    served = entry.served_as_hit
    if served is None or served[0] != age_s:
        info = cache_meta(hit=True, age_s=age_s, queried_range=entry.queried_range)
        frames = [with_cache_meta(entry.frames[0], info), *entry.frames[1:]] if entry.frames else []
        entry.served_as_hit = served = (age_s, frames)
    # The same frames hold until the entry expires or its age reaches the next whole second.
    until = None if entry.expires_at is None else min(entry.expires_at, entry.created + age_s + 1)
    return Served(frames=served[1], table=entry.table, hit=True, reusable_until=until)


def _now_ms() -> int:
    return int(time.time() * 1000)


_opened: dict[str, ResultCache] = {}
_opened_lock = threading.Lock()


def open_result_cache(plugin: PluginSettings) -> ResultCache:
    """The process's cache for ``<cache_dir>/results`` (one per directory, shared by QueryData and resources)."""
    directory = plugin.cache_dir / RESULTS_FOLDER
    with _opened_lock:
        cache = _opened.get(str(directory))
        if cache is None:
            store = ResultStore(directory, plugin.cache_size_bytes, plugin.cache_memory_bytes)
            metrics.CACHE_BYTES.set_function(lambda: float(store.volume()))
            cache = _opened[str(directory)] = ResultCache(store)
        return cache
