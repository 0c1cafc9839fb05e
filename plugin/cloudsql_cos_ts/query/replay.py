"""Answer a request identical to a recent one, all of whose answers were cache hits, with those answers.

A dashboard opened by several people, a panel refreshed with an absolute range, or a request Grafana
sends twice carry exactly the same queries. When every answer to such a request came from the
result cache, the next identical request gets the very same answers without parsing, expanding,
keying and looking up each query again. That is only right while the cache would still give the
same bytes, so an answer says until when that holds (:attr:`QueryAnswer.reusable_until`: its
entry's expiry, and the next whole second of its age, which its meta shows), and a replay is
refused after any clear of the cache (the store's generation).

Requests that must not read the cache (alerting, ``X-Cache-Skip``) are never replayed, and
neither are requests with an error or a query that ran.
"""

from __future__ import annotations

from dataclasses import dataclass

from cloudsql_cos_ts.lru import BoundedLru
from cloudsql_cos_ts.proto import backend_pb2 as pb
from cloudsql_cos_ts.query.answer import RequestAnswers
from cloudsql_cos_ts.query.request import ROW_LIMIT_KEY, skips_cache

MAX_REQUESTS = 256

Fingerprint = tuple[object, ...]

_serialized = pb.DataQuery.SerializeToString


def fingerprint(request: pb.QueryDataRequest) -> Fingerprint | None:
    """Everything of a request its answers depend on, or None for a request that must not be
    answered from the cache. The fingerprint lives only in memory, so it may hold the settings as sent
    (``deterministic`` orders the secure map's keys, so equal settings always give equal bytes).

    Read straight from the protobuf request, before anything else is made of it: on a replay this is
    the largest single step. The row limit is its raw text and each query its serialized bytes
    (every field of it, in field order), so two spellings of the same thing only ever make two keys.
    """
    if skips_cache(request.headers):
        return None
    context = request.pluginContext
    settings = context.dataSourceInstanceSettings
    return (  # the datasource (settings/identity.py): its org, and id, uid, version and settings in one C call
        context.orgId,
        settings.SerializeToString(deterministic=True),
        context.grafanaConfig.get(ROW_LIMIT_KEY, ""),
        tuple(map(_serialized, request.queries)),
    )


@dataclass(frozen=True)
class _Replayable:
    answers: RequestAnswers
    until: float  # epoch seconds
    generation: int


class RecentRequests:
    """The answers of the latest fully cached requests, bounded, least recently used dropped first."""

    def __init__(self, max_requests: int = MAX_REQUESTS) -> None:
        self._held: BoundedLru[Fingerprint, _Replayable] = BoundedLru(max_requests)

    def get(self, key: Fingerprint, *, now: float, generation: int) -> RequestAnswers | None:
        """The answers to replay, while they still hold."""
        held = self._held.get(key, valid=lambda held: now < held.until and generation == held.generation)
        return held.answers if held is not None else None

    def offer(self, key: Fingerprint, answers: RequestAnswers, *, generation: int) -> None:
        """Keep ``answers`` when every one of them is a cache hit that says until when it holds."""
        untils = [answer.reusable_until for answer in answers.by_ref.values()]
        if not untils or any(until is None for until in untils):
            return
        until = min(u for u in untils if u is not None)
        self._held.put(key, _Replayable(answers, until, generation))
