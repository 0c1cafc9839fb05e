"""The plugin's real gRPC servicers called in this process, for fuzzing at thousands of calls a second.

The process tests prove the wire; fuzzing needs many more calls than a socket allows in CI time, so
the same servicer objects the server registers are called directly with a stand-in for grpc's
``ServicerContext`` (no deadline, callbacks never fire).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from cloudsql_cos_ts.instances import InstanceManager
from cloudsql_cos_ts.proto import backend_pb2 as pb
from cloudsql_cos_ts.server.services import DataService, DiagnosticsService, ResourceService
from cloudsql_cos_ts.server.wire import serialize
from cloudsql_cos_ts.settings.plugin import PluginSettings


class IdleContext:
    """What the servicers use of ``grpc.ServicerContext``: a call without deadline that is never cancelled."""

    def __init__(self) -> None:
        self.callbacks: list[Callable[[], None]] = []

    def time_remaining(self) -> float | None:
        return None

    def add_callback(self, callback: Callable[[], None]) -> bool:
        self.callbacks.append(callback)
        return True

    def end(self) -> None:
        """The call is over: run its callbacks, as grpcio does (they give the answers' memory back)."""
        for callback in self.callbacks:
            callback()


class Servicers:
    """Data, Diagnostics and Resource servicers over one instance manager, as ``serve()`` builds them."""

    def __init__(self, cache_dir: Path) -> None:
        self.instances = InstanceManager(PluginSettings(cache_dir=cache_dir, max_workers=2))
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="fuzz-query")
        self.data = DataService(self.instances, self._pool)
        self.diagnostics = DiagnosticsService(self.instances)
        self.resource = ResourceService(self.instances)

    def query(self, request: pb.QueryDataRequest) -> pb.QueryDataResponse:
        context = IdleContext()
        reply = self.data.QueryData(request, context)  # type: ignore[arg-type]
        written = serialize(reply)  # the bytes grpcio would send
        context.end()
        return pb.QueryDataResponse.FromString(written)

    def health(self, context: pb.PluginContext) -> pb.CheckHealthResponse:
        return self.diagnostics.CheckHealth(pb.CheckHealthRequest(pluginContext=context), IdleContext())  # type: ignore[arg-type]

    def call_resource(
        self, path: str, method: str, body: bytes, context: pb.PluginContext
    ) -> tuple[int, dict[str, Any]]:
        request = pb.CallResourceRequest(pluginContext=context, path=path, method=method, url=path, body=body)
        (answer,) = self.resource.CallResource(request, IdleContext())  # type: ignore[arg-type]
        return answer.code, json.loads(answer.body)

    def close(self) -> None:
        self.instances.close()
        self._pool.shutdown()
