"""Run the queries of one QueryData request: parse, order, expand, translate, execute, shape.

Every query is answered, each on its own: a broken query gets its own 4xx/5xx answer and the others
still run. Queries chained with ``$__source_prev`` run after the query they read, whose result
table is handed to the engine under :func:`prev_relation_name`; independent queries run
concurrently on a pool separate from gRPC's workers (so a request can never wait on itself).
Each query is one call to the result cache (:mod:`cloudsql_cos_ts.cache`) with its key and its
run: the cache serves a stored answer, shares an identical run already going on, or runs this one
and keeps its result. A request identical to a recent one that the cache answered entirely gets
those answers again (:mod:`cloudsql_cos_ts.query.replay`).
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, replace

import pyarrow as pa

from cloudsql_cos_ts import metrics
from cloudsql_cos_ts.activity import ACTIVITY
from cloudsql_cos_ts.cache import CachedResult, Lookup, ResultIdentity, cached_range, entry_ttl
from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.dialect import ExternalRef, Translation
from cloudsql_cos_ts.engines.answer_memory import AnswerBudget, AnswerMemory
from cloudsql_cos_ts.engines.base import ExecutionRequest, ExecutionResult
from cloudsql_cos_ts.errors import BadRequest, PluginError, reported_internal_error
from cloudsql_cos_ts.flowlogs.loglines import flow_log_style
from cloudsql_cos_ts.flowlogs.scan import SourceScan, choose_scan
from cloudsql_cos_ts.flowlogs.schema import FLOW_RELATIONS
from cloudsql_cos_ts.frames.encode import StreamedFrame, encode_frame
from cloudsql_cos_ts.frames.shaping import ShapeOptions, shape
from cloudsql_cos_ts.instances import DatasourceInstance, InstanceManager
from cloudsql_cos_ts.log import log
from cloudsql_cos_ts.macros import Expansion, apply_fills, check_bucket_counts, find_prev_refs, prev_relation_name
from cloudsql_cos_ts.proto import backend_pb2 as pb
from cloudsql_cos_ts.query.answer import QueryAnswer, RequestAnswers
from cloudsql_cos_ts.query.answer_meta import describe_run, served_frames
from cloudsql_cos_ts.query.caching import cache_terms, result_cache
from cloudsql_cos_ts.query.damaged import damaged_notice
from cloudsql_cos_ts.query.graph import plan_waves
from cloudsql_cos_ts.query.ibm_locations import external_schema
from cloudsql_cos_ts.query.model import QueryModel, parse_query
from cloudsql_cos_ts.query.prepare import prepare_sql
from cloudsql_cos_ts.query.prepared import PreparedSqlMemo
from cloudsql_cos_ts.query.replay import RecentRequests, fingerprint
from cloudsql_cos_ts.query.request import RequestContext
from cloudsql_cos_ts.query.stats import AnswerStats
from cloudsql_cos_ts.timerange import TimeRange


@dataclass
class _Outcome:
    answer: QueryAnswer
    table: pa.Table | None = None  # kept for queries that read it through $__source_prev
    cache_key: str | None = None  # part of the keys of the queries that read it


@dataclass(frozen=True)
class Ask:
    """One query of a request as its wave hands it over: what ``_run_one`` times and ``_execute`` answers."""

    instance: DatasourceInstance
    model: QueryModel
    request: RequestContext
    inputs: dict[str, _Outcome]  # refId -> result read through $__source_prev
    ref_ids: frozenset[str]  # every refId of the request ($__source_prev may name any of them)
    read_by_others: bool  # a later query of the request reads this one's table


@dataclass(frozen=True)
class Job:
    """One query, prepared and ready to run: everything its result depends on."""

    instance: DatasourceInstance
    model: QueryModel  # with the effective (possibly aligned) time range
    request: RequestContext
    expansion: Expansion
    translation: Translation
    row_limit: int
    inputs: dict[str, _Outcome]  # refId -> result read through $__source_prev
    read_by_others: bool = False  # a later query of the request reads this one's table


def parse_data_query(query: pb.DataQuery) -> QueryModel:
    return parse_query(
        query.json,
        ref_id=query.refId,
        time_range=TimeRange(query.timeRange.fromEpochMS, query.timeRange.toEpochMS),
        interval_ms=query.intervalMS,
        max_data_points=query.maxDataPoints,
    )


class QueryPipeline:
    def __init__(self, instances: InstanceManager, executor: Executor) -> None:
        self._instances = instances
        self._executor = executor
        self._cache = result_cache(instances.plugin)
        self._prepared = PreparedSqlMemo(prepare_sql)
        self._recent = RecentRequests()
        self._answers = AnswerBudget(instances.plugin.answer_memory_bytes)

    def run(self, request: pb.QueryDataRequest, cancel: Callable[[], CancelToken]) -> RequestAnswers:
        """Answer every refId; each answer, rejected ones included, is counted in the metrics. Background work
        (span merges) waits while requests are answered (``activity.py``)."""
        with ACTIVITY.answering():
            return self._run(request, cancel)

    def _run(self, request: pb.QueryDataRequest, cancel: Callable[[], CancelToken]) -> RequestAnswers:
        started = time.monotonic()
        key = fingerprint(request)
        generation = self._cache.generation() if key is not None else 0  # read first: a clear meanwhile wins
        answers = self._recent.get(key, now=time.time(), generation=generation) if key is not None else None
        if answers is not None:
            elapsed = time.monotonic() - started
            for _ in answers.by_ref:
                metrics.labelled(metrics.CACHE_EVENTS, "hit").inc()
                metrics.labelled(metrics.QUERY_DURATION, answers.engine).observe(elapsed)
        else:
            context = RequestContext.from_headers(request.headers, request.pluginContext.grafanaConfig, cancel)
            answers = self._answer(request.pluginContext, request.queries, context)
            if key is not None:
                self._recent.offer(key, answers, generation=generation)
        for answer in answers.by_ref.values():
            metrics.labelled(metrics.QUERIES, str(answer.status), answers.engine).inc()
        return answers

    def _answer(
        self, context: pb.PluginContext, queries: Sequence[pb.DataQuery], request: RequestContext
    ) -> RequestAnswers:
        answers: dict[str, QueryAnswer] = {}
        models: dict[str, QueryModel] = {}
        for query in queries:
            ref = query.refId or "A"
            if ref in answers or ref in models:
                continue  # Grafana's response map holds one answer per refId; the first query wins
            try:
                model = parse_data_query(query)
                if not model.hide and not model.raw_sql.strip():
                    raise BadRequest("the query is empty: type a SQL statement")
                models[ref] = model
            except PluginError as exc:
                answers[ref] = QueryAnswer.failure(exc)
        visible = {ref: m for ref, m in models.items() if not m.hide}
        answers.update({ref: QueryAnswer() for ref, m in models.items() if m.hide})
        if not visible:
            return RequestAnswers("none", answers)
        try:
            instance = self._instances.get(context)
        except PluginError as exc:
            answers.update({ref: QueryAnswer.failure(exc) for ref in visible})
            return RequestAnswers("none", answers)
        answers.update(self._run_graph(instance, visible, request))
        return RequestAnswers(instance.engine.name, answers)

    def _run_graph(
        self, instance: DatasourceInstance, models: dict[str, QueryModel], request: RequestContext
    ) -> dict[str, QueryAnswer]:
        answers: dict[str, QueryAnswer] = {}
        dependencies: dict[str, tuple[str, ...]] = {}
        for ref, model in models.items():
            try:
                dependencies[ref] = find_prev_refs(model.raw_sql)
            except PluginError as exc:
                answers[ref] = QueryAnswer.failure(exc)
        plan = plan_waves(dependencies)
        answers.update({ref: QueryAnswer.failure(exc) for ref, exc in plan.failures.items()})
        results: dict[str, _Outcome] = {}
        read_by_others = {ref for refs in dependencies.values() for ref in refs}
        for wave in plan.waves:
            runnable = []
            for ref in wave:
                failed = next((d for d in dependencies[ref] if d not in results), None)
                if failed is None:
                    runnable.append(ref)
                else:
                    answers[ref] = QueryAnswer.failure(
                        BadRequest(f"query {ref} reads $__source_prev({failed}), which failed")
                    )

            def run(ref: str) -> _Outcome:
                inputs = {d: results[d] for d in dependencies[ref]}
                return self._run_one(
                    Ask(instance, models[ref], request, inputs, frozenset(models), ref in read_by_others)
                )

            # The wave's last query runs on this thread: a panel's single query (the usual case, and
            # every cache hit) then costs no hand-off to the pool and back.
            futures = [(ref, self._executor.submit(run, ref)) for ref in runnable[:-1]]
            outcomes = [(ref, run(ref)) for ref in runnable[-1:]]
            outcomes += [(ref, future.result()) for ref, future in futures]
            for ref, outcome in outcomes:
                answers[ref] = outcome.answer
                if outcome.table is not None:
                    results[ref] = outcome
        return answers

    def _run_one(self, ask: Ask) -> _Outcome:
        started = time.monotonic()
        engine, ref_id = ask.instance.engine.name, ask.model.ref_id
        metrics.IN_FLIGHT.inc()
        try:
            outcome = self._execute(ask)
        except PluginError as exc:
            outcome = _Outcome(QueryAnswer.failure(exc))
        except Exception as exc:  # a bug of ours: log it in full, tell the user where to look
            error = reported_internal_error("query failed with an internal error", exc, refId=ref_id)
            outcome = _Outcome(QueryAnswer.failure(error))
        finally:
            metrics.IN_FLIGHT.dec()
        elapsed = time.monotonic() - started
        metrics.labelled(metrics.QUERY_DURATION, engine).observe(elapsed)
        log.debug("query answered", refId=ref_id, status=outcome.answer.status, ms=round(elapsed * 1000, 1))
        return outcome

    def _execute(self, ask: Ask) -> _Outcome:
        """Prepare the query, key it, and hand its run to the cache: one call that serves, shares or runs."""
        job, lookup = prepare_job(ask, self._prepared.get)
        instance, translation, expansion = job.instance, job.translation, job.expansion
        memory = AnswerMemory(self._answers, instance.settings.query_memory_limit_bytes)
        try:
            stream = streams(job, keep_table=lookup.keep_table)
            served = self._cache.get_or_run(
                lookup, job.request.cancel, lambda token: self._compute(job, token, memory, stream)
            )
            frames = served_frames(
                served, executed_sql=translation.sql, expanded_sql=expansion.sql, engine=instance.engine.name
            )
        except BaseException:
            memory.release()
            raise
        # The account goes with the answer: it is given back once the frames are sent (server/services.py).
        answer = QueryAnswer(frames=frames, reusable_until=served.reusable_until, held=memory)
        # Only a table another query of the request reads is kept: a big answer's table is freed before the
        # response is built from its frames (docs/benchmarks.md, W7).
        return _Outcome(answer, served.result.table if ask.read_by_others else None, lookup.key)

    def _compute(self, job: Job, token: CancelToken, memory: AnswerMemory, stream: bool) -> CachedResult:
        """Run and encode the query on its answer-memory account, given back at once if the run fails.

        A failed run's exception goes on to every caller sharing the run, and its traceback would keep
        the finished frames' locals alive with it (a refused query's partial result: cycles through the
        run's thread wait for the garbage collector), so those locals are let go here.
        """
        try:
            memory.admit(token)
            computed = self._compute_within(job, token, memory, stream)
            memory.settle()
            return computed
        except BaseException as exc:
            memory.release()
            traceback.clear_frames(exc.__traceback__)
            raise

    def _compute_within(self, job: Job, token: CancelToken, memory: AnswerMemory, stream: bool) -> CachedResult:
        """Run the query on the engine and shape its frames (a cache miss, or a query the cache cannot keep).

        A ``stream``-ed answer's engine may hand the result's batches to the frame as they arrive (its table
        then has no rows): the one frame is shaped from the result's columns and encoded over those batches.
        """
        instance, model, expansion = job.instance, job.model, job.expansion
        request = engine_request(job, token, memory)
        request.sink = sink = StreamedFrame() if stream else None
        scan, external = request.source_scan(), request.external
        metrics.ENGINE_EXECUTIONS.labels(engine=instance.engine.name).inc()
        began = time.monotonic()
        result = instance.engine.execute(request)
        damaged = damaged_notice(result.damaged, instance.settings.damaged_objects)
        created = time.time()
        table = (
            apply_fills(result.table, expansion.fills, model.time_range, job.row_limit)
            if expansion.fills
            else result.table
        )
        memory.cover(table.nbytes)  # engines that return a whole table (and fill rows) are checked here
        written = result.written
        if expansion.dest is not None and written is None:
            written = instance.write_destination(expansion.dest, table)
        if not model.get_result:
            self._stats(job, result, began).count()
            return CachedResult([], table, created, model.time_range)
        options = ShapeOptions(
            ref_id=model.ref_id,
            format=model.format,
            time_column=model.time_column,
            metrics_column=model.metrics_column,
            for_alerting=job.request.from_alert,
            log_style=flow_log_style,
        )
        frames = shape(table, options, job.translation.sql)
        if frames:
            meta = frames[0].meta
            if result.stats:
                meta.custom["source"] = result.stats
            if damaged:
                meta.add_notice("warning", damaged)
            for source_notice in result.notices:
                meta.add_notice("warning", source_notice)
            for scan_notice in dict.fromkeys(s.notice() for s in (scan, *external.values())):
                if scan_notice:
                    meta.add_notice("info", scan_notice)
            if written:
                meta.add_notice("info", f"the result was also written to {written}")
            if result.truncated:
                meta.add_notice(
                    "warning",
                    f"the result was cut at {job.row_limit} rows (the row limit); "
                    "aggregate more or narrow the time range",
                )
        stats = self._stats(job, result, began)
        stats.count()
        if frames:
            describe_run(frames[0].meta, expanded_sql=expansion.sql, queried_range=model.time_range, stats=stats)
        encoded = [sink.encode(frames[0])] if sink is not None else [encode_frame(f) for f in frames]
        return CachedResult(encoded, table, created, model.time_range)

    @staticmethod
    def _stats(job: Job, result: ExecutionResult, began: float) -> AnswerStats:
        """The run's figures; its time runs until its frames are about to be encoded."""
        return AnswerStats.of_run(
            job.instance.engine.name,
            result.stats,
            damaged=len(result.damaged),
            queued_s=began - job.request.received,
            running_s=time.monotonic() - began,
        )


Prepare = Callable[[DatasourceInstance, QueryModel, frozenset[str]], tuple[Expansion, Translation]]


def prepare_job(ask: Ask, prepare: Prepare = prepare_sql) -> tuple[Job, Lookup]:
    """The query ready to run and its result-cache lookup: the range as cached (aligned unless alerting), the
    engine SQL, the key. The pipeline and the estimate endpoint both start here, so they agree on both."""
    instance, request, settings = ask.instance, ask.request, ask.instance.settings
    now_ms, terms = int(time.time() * 1000), cache_terms(settings)
    time_range = cached_range(
        ask.model.time_range,
        interval_ms=ask.model.interval_ms,
        query_ttl_s=ask.model.cache_ttl_s,
        terms=terms,
        exact=request.from_alert,
        now_ms=now_ms,
    )
    # A dataclass replace costs more than the rest of a hit's bookkeeping: only when aligned.
    model = ask.model if time_range == ask.model.time_range else replace(ask.model, time_range=time_range)
    expansion, translation = prepare(instance, model, ask.ref_ids)
    job = Job(
        instance,
        model,
        request,
        expansion,
        translation,
        row_limit=request.row_limit_override or settings.row_limit,
        inputs=ask.inputs,
        read_by_others=ask.read_by_others,
    )
    check_bucket_counts(expansion.fills, model.time_range, job.row_limit)
    lookup = Lookup(
        key=_cache_key(job),
        ttl_s=entry_ttl(terms, model.cache_ttl_s, model.time_range, now_ms),
        read=not request.skip_cache,
        keep_table=ask.read_by_others or not model.get_result,
        tag=settings.uid,
        timeout_s=settings.query_timeout_s,
    )
    return job, lookup


def streams(job: Job, *, keep_table: bool) -> bool:
    """Whether the answer's frame is the result as it is (a plain table: no fills, no destination, no time
    series, logs or alerting shapes, no later query reading the table), so it can be encoded batch by batch."""
    model, expansion = job.model, job.expansion
    plain = model.format == "table" and not job.request.from_alert and model.get_result
    return plain and not keep_table and not expansion.fills and expansion.dest is None


def engine_request(job: Job, token: CancelToken, memory: AnswerMemory | None = None) -> ExecutionRequest:
    """What the engine gets for the job: the SQL, the scans its time predicates choose, earlier results."""
    expansion = job.expansion
    return ExecutionRequest(
        sql=job.translation.sql,
        time_range=job.model.time_range,
        cancel=token,
        row_limit=job.row_limit,
        memory=memory,
        referenced=job.translation.referenced,
        schema_only=job.translation.schema_only,
        external=external_scans(job),
        tables={
            prev_relation_name(ref): outcome.table for ref, outcome in job.inputs.items() if outcome.table is not None
        },
        chained=job.read_by_others,
        # fill rows are added after the engine: then the plugin writes the filled table itself
        dest=None if expansion.fills else expansion.dest,
        scan=source_scan(job),
    )


def source_scan(job: Job) -> SourceScan:
    """What the configured flow-log source reads for this query: its own time predicates decide."""
    settings = job.instance.settings
    if settings.source_format != "flowlogs" or settings.engine == "dataengine":  # Data Engine reads by itself
        return SourceScan(job.model.time_range)
    return _scan(job, FLOW_RELATIONS)


def external_scans(job: Job) -> dict[ExternalRef, SourceScan]:
    """What each ``cos://… STORED AS`` location reads: a flow-log one by the same rule as the configured
    source (its own time predicates decide), files whole."""
    return {
        ref: _scan(job, frozenset({ref.relation})) if external_schema(ref) else SourceScan(job.model.time_range)
        for ref in job.translation.external
    }


def _scan(job: Job, relations: frozenset[str]) -> SourceScan:
    """What a flow-log source read as ``relations`` (the configured one, a cos:// location) gives this query."""
    settings, translation = job.instance.settings, job.translation
    return choose_scan(
        translation.time_bounds,
        sorted((translation.referenced - translation.schema_only) & relations),
        job.model.time_range,
        unfiltered=settings.unfiltered_queries,
        budgets=settings.budgets,
        from_alert=job.request.from_alert,
    )


def _cache_key(job: Job) -> str | None:
    """The result cache key, or None for a query that must always run ($__dest writes; uncacheable inputs)."""
    input_keys = {prev_relation_name(ref): outcome.cache_key for ref, outcome in job.inputs.items()}
    if job.expansion.dest is not None or any(key is None for key in input_keys.values()):
        return None
    model, identity = job.model, job.instance.settings.identity
    return ResultIdentity(
        datasource=(identity.org_id, identity.datasource_id, identity.uid, identity.last_updated_ms, identity.digest),
        engine=job.instance.engine.name,
        sql=job.translation.sql,
        fills=repr(job.expansion.fills),
        ref_id=model.ref_id,
        format=model.format,
        time_column=model.time_column,
        metrics_column=model.metrics_column,
        get_result=model.get_result,
        # Alerting shapes tables differently (a 400 for unusable shapes); time series are the same frames.
        for_alerting=job.request.from_alert and model.format == "table",
        time_range=model.time_range,
        row_limit=job.row_limit,
        inputs=tuple(sorted((name, key) for name, key in input_keys.items() if key is not None)),
        locations=tuple((ref.relation, ref.url, ref.format) for ref in job.translation.external),
    ).digest()
