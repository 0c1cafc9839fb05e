"""Process entry: check the launch environment, serve gRPC, print go-plugin's handshake, wait to stop.

Order matters to Grafana: nothing may reach stdout before the handshake line, and the line may be
printed only once the server listens. The services register on first use
(:mod:`cloudsql_cos_ts.server.deferred`) and heavy libraries are imported after the handshake (in a
warm-up thread), so Grafana sees the plugin ready in a fraction of a second.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import grpc

from cloudsql_cos_ts.engines.answer_memory import hand_back_big_blocks
from cloudsql_cos_ts.log import bridge_python_logging, log
from cloudsql_cos_ts.server.deferred import DeferredServices
from cloudsql_cos_ts.server.socket_dir import make_socket_dir, sweep_stale_socket_dirs
from cloudsql_cos_ts.settings.plugin import PluginSettings, ensure_private_dir, load_plugin_settings
from cloudsql_cos_ts.timerange import force_utc

if TYPE_CHECKING:
    from cloudsql_cos_ts.instances import InstanceManager

MAX_MESSAGE_BYTES = 64 * 1024 * 1024
ARROW_POOL_VARIABLE = "ARROW_DEFAULT_MEMORY_POOL"
_SHUTDOWN_GRACE_S = 0.5


class LaunchError(Exception):
    """The process was not started the way Grafana starts plugins."""


def check_environment(env: dict[str, str] | os._Environ[str]) -> None:
    if env.get("grafana_plugin_type") != "datasource":
        raise LaunchError(
            "this is a Grafana plugin: Grafana starts it with grafana_plugin_type=datasource; "
            "to run it by hand use `cloudsql-cos-ts serve` or set that variable"
        )
    versions = [v.strip() for v in env.get("PLUGIN_PROTOCOL_VERSIONS", "").split(",")]
    if "2" not in versions:
        raise LaunchError(
            f"Grafana offered plugin protocol versions {env.get('PLUGIN_PROTOCOL_VERSIONS', '(none)')!r}; "
            "this plugin speaks version 2"
        )
    if env.get("PLUGIN_CLIENT_CERT"):
        raise LaunchError("the host asked for go-plugin AutoMTLS, which this plugin does not implement")


def choose_arrow_allocator(env: dict[str, str] | os._Environ[str]) -> None:
    """Have Arrow allocate with the C library's allocator unless the operator chose one (``ARROW_DEFAULT_MEMORY_POOL``).

    Why: Arrow's default allocator (mimalloc) keeps what the ingest threads freed in their heaps, so after a
    cold week's decode the process held about twice the memory it needed, under the next big answer (W7,
    docs/benchmarks.md), for no measured speed gain. Arrow reads the variable once, when it is first imported,
    which the server does only after the handshake.
    """
    env.setdefault(ARROW_POOL_VARIABLE, "system")


def build_server(executor: ThreadPoolExecutor, services: DeferredServices) -> grpc.Server:
    """A gRPC server with our message limits, serving what ``services`` registers."""
    return grpc.server(
        executor,
        handlers=[services],
        options=[("grpc.max_receive_message_length", MAX_MESSAGE_BYTES), ("grpc.max_send_message_length", -1)],
    )


def add_health(server: grpc.Server) -> None:
    """go-plugin's health service, which reports SERVING."""
    from grpc_health.v1 import health, health_pb2, health_pb2_grpc

    health_servicer = health.HealthServicer()
    for name in ("plugin", ""):
        health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)


def bind(server: grpc.Server) -> tuple[str, str, Path | None]:
    """Listen on a unix socket in a private temp dir, or on TCP loopback where there are none."""
    if hasattr(socket, "AF_UNIX"):
        folder = make_socket_dir()
        path = folder / "plugin.sock"
        server.add_insecure_port(f"unix:{path}")
        return "unix", str(path), folder
    port = server.add_insecure_port("127.0.0.1:0")
    return "tcp", f"127.0.0.1:{port}", None


def _sweep_socket_dirs() -> None:
    """Remove socket folders of killed predecessors (after the handshake: Grafana is not kept waiting)."""
    removed = sweep_stale_socket_dirs()
    if removed:
        log.info("removed socket folders of stopped plugin processes", count=len(removed))


def _warm_up(services: DeferredServices, prepares: list[Callable[[], None]]) -> None:
    """Register the services and prepare what the first query needs while Grafana is still busy with
    the handshake."""
    try:
        services.load()
        for prepare in prepares:
            prepare()
    except Exception as exc:  # the first query will report it properly
        log.warn("warm-up failed", error=f"{type(exc).__name__}: {exc}")


def serve(plugin: PluginSettings) -> int:
    stop = threading.Event()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in Grafana's terminal hits our process group too
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    ensure_private_dir(plugin.cache_dir)
    query_pool = ThreadPoolExecutor(max_workers=plugin.max_workers, thread_name_prefix="query")
    opened: list[InstanceManager] = []
    prepares: list[Callable[[], None]] = []  # what the warm-up thread runs once the services are registered

    def register(server: grpc.Server) -> None:
        from cloudsql_cos_ts.instances import InstanceManager
        from cloudsql_cos_ts.proto import backend_pb2_grpc as pb_grpc
        from cloudsql_cos_ts.proto import controller_pb2_grpc as ctl_grpc
        from cloudsql_cos_ts.server.services import ControllerService, DataService, DiagnosticsService, ResourceService
        from cloudsql_cos_ts.server.wire import add_data_service

        instances = InstanceManager(plugin)
        opened.append(instances)
        add_health(server)
        ctl_grpc.add_GRPCControllerServicer_to_server(ControllerService(stop), server)
        data = DataService(instances, query_pool)
        prepares.append(data.prepare)
        add_data_service(server, data.QueryData)
        pb_grpc.add_DiagnosticsServicer_to_server(DiagnosticsService(instances), server)
        pb_grpc.add_ResourceServicer_to_server(ResourceService(instances), server)

    services = DeferredServices(register)
    server = build_server(ThreadPoolExecutor(max_workers=plugin.max_workers, thread_name_prefix="grpc"), services)
    network, address, socket_dir = bind(server)
    server.start()
    sys.stdout.write(f"1|2|{network}|{address}|grpc\n")
    sys.stdout.flush()
    log.info("plugin started", network=network, address=address, pid=os.getpid())
    threading.Thread(target=_warm_up, args=(services, prepares), name="warm-up", daemon=True).start()
    threading.Thread(target=_sweep_socket_dirs, name="socket-sweep", daemon=True).start()
    try:
        while not stop.wait(0.2):
            pass
    finally:
        log.info("plugin stopping")
        server.stop(_SHUTDOWN_GRACE_S).wait(_SHUTDOWN_GRACE_S + 0.2)
        query_pool.shutdown(wait=False, cancel_futures=True)
        for instances in opened:
            instances.close()
        if socket_dir is not None:
            shutil.rmtree(socket_dir, ignore_errors=True)
    return 0


def main() -> int:
    try:
        check_environment(os.environ)
    except LaunchError as exc:
        sys.stderr.write(f"cloudsql-cos-ts: {exc}\n")
        return 1
    force_utc()
    choose_arrow_allocator(os.environ)
    hand_back_big_blocks(os.environ)
    bridge_python_logging()
    plugin = load_plugin_settings()
    log.set_level(plugin.log_level)
    code = serve(plugin)
    sys.stderr.flush()
    # Worker threads may still be inside a query; Python would join them at exit, and Grafana kills
    # plugins that take over 2 s to stop, so leave at once.
    os._exit(code)
