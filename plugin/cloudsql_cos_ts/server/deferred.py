"""The plugin's gRPC services, registered when the first call arrives instead of before the handshake.

Why: Grafana waits for the handshake line, and all it needs to print it is a listening server. The
services behind it (protobuf and the generated stubs, the health service, the instances and the
query services) take as long to import as grpcio itself, so the server starts with one generic
handler that registers them on its first use: the first call, or the warm-up thread right after the
handshake, whichever comes first.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import grpc


class Registry(grpc.Server):
    """What the generated ``add_*_to_server`` functions register, kept for a :class:`DeferredServices`.

    It stands in for the server while the services register, so they register as they would on a
    real one; it never listens.
    """

    def __init__(self) -> None:
        self.handlers: list[grpc.GenericRpcHandler[Any, Any]] = []

    def add_generic_rpc_handlers(self, generic_rpc_handlers: Iterable[grpc.GenericRpcHandler[Any, Any]]) -> None:
        self.handlers.extend(generic_rpc_handlers)

    def add_registered_method_handlers(self, service_name: str, method_handlers: Mapping[str, Any]) -> None:
        """Ignored: registered methods are a real server's fast path; the generic handlers serve them."""

    def add_insecure_port(self, address: str) -> int:
        raise TypeError("a service registry does not listen")

    def add_secure_port(self, address: str, server_credentials: grpc.ServerCredentials) -> int:
        raise TypeError("a service registry does not listen")

    def start(self) -> None:
        raise TypeError("a service registry does not listen")

    def stop(self, grace: float | None = None) -> threading.Event:
        raise TypeError("a service registry does not listen")


class DeferredServices(grpc.GenericRpcHandler):  # type: ignore[type-arg]  # serves any method's types
    """One generic handler standing for every service ``register`` adds, which runs once, on first use."""

    def __init__(self, register: Callable[[grpc.Server], None]) -> None:
        self._register: Callable[[grpc.Server], None] | None = register
        self._handlers: list[grpc.GenericRpcHandler[Any, Any]] = []
        self._lock = threading.Lock()

    def load(self) -> None:
        """Register the services now (once; later calls, from any thread, wait for the first)."""
        with self._lock:
            if self._register is not None:
                registry = Registry()
                self._register(registry)
                self._handlers = registry.handlers
                self._register = None

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler[Any, Any] | None:
        self.load()
        for handler in self._handlers:
            method = handler.service(handler_call_details)
            if method is not None:
                return method
        return None
