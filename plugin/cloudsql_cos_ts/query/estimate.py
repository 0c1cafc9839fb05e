"""Know before you run: what a query would read, and the engine's plan, without running it.

Both start where a QueryData run starts (``pipeline.prepare_job``: the same range alignment, engine
SQL, scans and result-cache key), so the estimate describes the very query a panel then runs. The
estimate asks the engine for its sources' listings (``flowlogs/estimate.py``) under a deadline: a
listing that takes longer is answered with what is known, marked inexact. It reports the budget the
query would get (``settings/budget.py``) and whether the same check the run makes would refuse it.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cloudsql_cos_ts.cache import ResultCache
from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.errors import DownstreamTimeout, QueryCancelled
from cloudsql_cos_ts.flowlogs.estimate import inexact
from cloudsql_cos_ts.instances import DatasourceInstance
from cloudsql_cos_ts.macros import find_prev_refs
from cloudsql_cos_ts.query.model import QueryModel
from cloudsql_cos_ts.query.pipeline import Ask, Job, engine_request, prepare_job
from cloudsql_cos_ts.query.prepare import prepare_sql
from cloudsql_cos_ts.query.prepared import PreparedSqlMemo
from cloudsql_cos_ts.query.request import RequestContext

ESTIMATE_DEADLINE_S = 5.0  # the editor asks on every edit: a slow listing must not hold its preview
PLAN_DEADLINE_S = 30.0
# The editor asks again on every edit and range change: the same SQL is translated once.
_PREPARED = PreparedSqlMemo(prepare_sql)
# Listings run here so the deadline holds even while a request to a hung endpoint blocks (a socket read
# the cancel token cannot interrupt); two threads bound what hung endpoints can hold at once.
_LISTINGS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="estimate")


@dataclass(frozen=True)
class Asked:
    """One editor question: the query model with its range, and whether it is an alert rule's query."""

    instance: DatasourceInstance
    model: QueryModel
    from_alert: bool = False


def _job(asked: Asked, token: CancelToken) -> tuple[Job, str | None]:
    """The prepared job, and the result-cache key a panel's run of it would read (None: it reads none)."""
    request = RequestContext(
        from_alert=asked.from_alert, skip_cache=asked.from_alert, row_limit_override=None, cancel=lambda: token
    )
    ref_ids = frozenset({asked.model.ref_id, *find_prev_refs(asked.model.raw_sql)})
    job, lookup = prepare_job(
        Ask(asked.instance, asked.model, request, {}, ref_ids, read_by_others=False), _PREPARED.get
    )
    # A query reading $__source_prev is keyed with its inputs' keys, which only the request's run knows.
    readable = lookup.read and not job.expansion.prev_refs
    return job, lookup.key if readable else None


def estimate(asked: Asked, cache: ResultCache) -> dict[str, Any]:
    """The ``POST estimate`` answer (docs/estimates-and-budgets.md)."""
    began = time.monotonic()
    token = CancelToken(ESTIMATE_DEADLINE_S)
    try:
        job, key = _job(asked, token)
        request = engine_request(job, token)
        listing = _LISTINGS.submit(job.instance.engine.estimate, request)
        try:
            found = listing.result(timeout=max(0.0, ESTIMATE_DEADLINE_S - (time.monotonic() - began)))
        except (DownstreamTimeout, QueryCancelled, FutureTimeout):
            token.cancel()
            found = inexact(
                f"listing the source took longer than {ESTIMATE_DEADLINE_S:g} s, so nothing is counted; the query "
                "itself lists for as long as its timeout allows"
            )
    finally:
        token.close()
    notes = list(found.notes)
    if asked.from_alert:
        notes.append("an alert evaluation never reads the result cache (Grafana wants fresh values): it reads "
                     "through the ingest cache, downloading only the objects it does not hold")
    scan = request.source_scan()
    refusal = scan.over_budget(found.objects, found.bytes)
    if refusal is not None:
        notes.append(refusal)
    budget = scan.budget
    return {
        "objects": found.objects,
        "bytes": found.bytes,
        "listedObjects": found.listed_objects,
        "partitionsPruned": found.partitions_pruned,
        "ingestCache": {"objects": found.cached_objects, "bytes": found.cached_bytes},
        "resultCached": key is not None and cache.holds(key),
        "oldest": _rfc3339(found.oldest),
        "newest": _rfc3339(found.newest),
        "budget": {
            "kind": budget.kind,
            "maxObjects": budget.objects.limit if budget.objects else None,
            "maxBytes": budget.bytes.limit if budget.bytes else None,
            "exceeded": refusal is not None,
        },
        "exact": found.exact,
        "engine": job.instance.engine.name,
        "elapsedMs": round((time.monotonic() - began) * 1000),
        "notes": notes,
    }


def plan(asked: Asked) -> dict[str, Any]:
    """The ``POST plan`` answer: the engine's plan of the translated SQL, no source object read."""
    token = CancelToken(PLAN_DEADLINE_S)
    try:
        job, _ = _job(asked, token)
        text = job.instance.engine.explain(engine_request(job, token))
    finally:
        token.close()
    return {"engine": job.instance.engine.name, "plan": text}


def _rfc3339(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")
