"""The gRPC servicers Grafana calls: Data, Diagnostics, Resource and go-plugin's controller.

Each handler turns protobuf into our types and back and never lets an exception escape: an escaped
exception would fail the whole call (every refId of a panel) instead of one query.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import grpc

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.errors import PluginError, reported_internal_error
from cloudsql_cos_ts.instances import InstanceManager
from cloudsql_cos_ts.log import log
from cloudsql_cos_ts.proto import backend_pb2 as pb
from cloudsql_cos_ts.proto import backend_pb2_grpc as pb_grpc
from cloudsql_cos_ts.proto import controller_pb2 as ctl
from cloudsql_cos_ts.proto import controller_pb2_grpc as ctl_grpc
from cloudsql_cos_ts.query.answer import QueryAnswer, RequestAnswers
from cloudsql_cos_ts.server.wire import Reply

if TYPE_CHECKING:
    from cloudsql_cos_ts.query.pipeline import QueryPipeline
    from cloudsql_cos_ts.resources.router import Router

T = TypeVar("T")

DEADLINE_SLACK_S = 0.25
"""A cancel this close to the call's deadline is the deadline: Grafana's client cancels the call when
its own deadline passes, which the server's clock (started when the call arrived) reaches a little
later — more so on a busy machine."""


class CallToken:
    """The cancel token of one gRPC call, made on first use.

    A token costs a lock, an event and a grpcio callback (and a timer thread when Grafana set a
    deadline); a request the result cache answers never asks for one. Callable from any thread.
    """

    _making = threading.Lock()  # shared: tokens are made rarely, calls are many

    def __init__(self, context: grpc.ServicerContext) -> None:
        self._context = context
        self._token: CancelToken | None = None

    def __call__(self) -> CancelToken:
        with self._making:
            if self._token is None:
                self._token = self._make()
            return self._token

    def _make(self) -> CancelToken:
        """A token that fires when Grafana cancels the call or its gRPC deadline passes."""
        context = self._context
        remaining = context.time_remaining()
        token = CancelToken(remaining if remaining is not None and remaining < 1e9 else None, expiry="deadline")

        def stop() -> None:
            remaining = context.time_remaining()
            token.cancel("deadline" if remaining is not None and remaining <= DEADLINE_SLACK_S else "cancelled")

        if not context.add_callback(stop):  # the call already ended: Grafana left before we asked
            stop()
        return token

    def close(self) -> None:
        token = self._token  # read once: set at most once, under the lock, before any query waits
        if token is not None:
            token.close()


class _Lazy(Generic[T]):
    """Build an object on first use: the heavy modules behind it load after the handshake."""

    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._value: T | None = None
        self._lock = threading.Lock()

    def get(self) -> T:
        value = self._value  # built once, never replaced: no lock needed to read it
        if value is not None:
            return value
        with self._lock:
            if self._value is None:
                self._value = self._build()
            return self._value


def _pipeline(instances: InstanceManager, executor: Executor) -> QueryPipeline:
    from cloudsql_cos_ts.query.pipeline import QueryPipeline

    return QueryPipeline(instances, executor)


def _router(instances: InstanceManager) -> Router:
    from cloudsql_cos_ts.resources.endpoints import build_router

    return build_router(instances)


class DataService:
    """QueryData, served with the plugin's own response serializer (:mod:`cloudsql_cos_ts.server.wire`)."""

    def __init__(self, instances: InstanceManager, executor: Executor) -> None:
        self._pipeline = _Lazy(lambda: _pipeline(instances, executor))

    def prepare(self) -> None:
        """Build the pipeline (its modules, the result cache's files) and load the default engine's modules now,
        from the warm-up thread, so that the first query does not wait for them."""
        self._pipeline.get()
        import cloudsql_cos_ts.engines.duckdb.engine  # noqa: F401

    def QueryData(self, request: pb.QueryDataRequest, context: grpc.ServicerContext) -> Reply:
        cancel = CallToken(context)
        try:
            answers = self._pipeline.get().run(request, cancel)
        except Exception as exc:  # never fail the whole call: answer every refId with the error
            error = reported_internal_error("QueryData failed", exc)
            answers = RequestAnswers("none", {q.refId or "A": QueryAnswer.failure(error) for q in request.queries})
        finally:
            cancel.close()
        release = answers.releaser()  # the answers' memory is theirs until grpcio has sent them
        if not context.add_callback(release):
            release()
        return Reply(answers)


class DiagnosticsService(pb_grpc.DiagnosticsServicer):
    def __init__(self, instances: InstanceManager) -> None:
        self._instances = instances

    def CheckHealth(self, request: pb.CheckHealthRequest, context: grpc.ServicerContext) -> pb.CheckHealthResponse:
        from cloudsql_cos_ts.health.check import check_health

        try:
            report = check_health(self._instances, request.pluginContext)
        except PluginError as exc:
            return pb.CheckHealthResponse(status=pb.CheckHealthResponse.ERROR, message=exc.message)
        except Exception as exc:
            log.error("CheckHealth failed", error=f"{type(exc).__name__}: {exc}")
            return pb.CheckHealthResponse(
                status=pb.CheckHealthResponse.ERROR,
                message="internal error in the plugin's health check; see the Grafana log",
            )
        status = pb.CheckHealthResponse.OK if report.ok else pb.CheckHealthResponse.ERROR
        return pb.CheckHealthResponse(status=status, message=report.message, jsonDetails=report.details_json())

    def CollectMetrics(
        self, request: pb.CollectMetricsRequest, context: grpc.ServicerContext
    ) -> pb.CollectMetricsResponse:
        from cloudsql_cos_ts.metrics import prometheus_text

        return pb.CollectMetricsResponse(metrics=pb.CollectMetricsResponse.Payload(prometheus=prometheus_text()))


class ResourceService(pb_grpc.ResourceServicer):
    def __init__(self, instances: InstanceManager) -> None:
        self._router = _Lazy(lambda: _router(instances))

    def CallResource(
        self, request: pb.CallResourceRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.CallResourceResponse]:
        from cloudsql_cos_ts.resources.router import ResourceRequest, ResourceResponse

        try:
            answer = self._router.get().dispatch(
                ResourceRequest(
                    method=request.method or "GET", path=request.path, body=request.body, context=request.pluginContext
                )
            )
        except Exception as exc:
            log.error("CallResource failed", path=request.path, error=f"{type(exc).__name__}: {exc}")
            answer = ResourceResponse(500, {"error": "internal error in the plugin; see the Grafana log"})
        headers: dict[str, Any] = {"Content-Type": pb.StringList(values=["application/json"])}
        yield pb.CallResourceResponse(code=answer.status, headers=headers, body=answer.encoded())


class ControllerService(ctl_grpc.GRPCControllerServicer):
    """go-plugin's Shutdown: Grafana waits 2 s for us to exit before it kills the process."""

    def __init__(self, stop: threading.Event) -> None:
        self._stop = stop

    def Shutdown(self, request: ctl.Empty, context: grpc.ServicerContext) -> ctl.Empty:
        log.info("shutdown requested by Grafana")
        self._stop.set()
        return ctl.Empty()
