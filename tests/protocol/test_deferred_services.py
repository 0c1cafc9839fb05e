"""Services registered on first use: the handshake needs only grpcio, every call still finds its service."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import grpc
import pytest

from cloudsql_cos_ts.cache import RESULTS_FOLDER
from cloudsql_cos_ts.proto import backend_pb2 as pb
from cloudsql_cos_ts.proto import backend_pb2_grpc as pb_grpc
from cloudsql_cos_ts.server.deferred import DeferredServices, Registry
from cloudsql_cos_ts.server.main import bind, build_server
from tests.plugin_host import REPO, datasource_context, grafana_env

ECHO = "/test.Echo/Say"


class Counted:
    """A registration that counts its runs and adds an echo service (bytes in, the same bytes out)."""

    def __init__(self) -> None:
        self.runs = 0

    def __call__(self, server: grpc.Server) -> None:
        self.runs += 1
        echo = grpc.unary_unary_rpc_method_handler(lambda request, _: request)
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("test.Echo", {"Say": echo}),))


@pytest.fixture
def served() -> Iterator[tuple[Counted, grpc.Channel]]:
    register = Counted()
    server = build_server(ThreadPoolExecutor(max_workers=8), DeferredServices(register))
    network, address, socket_dir = bind(server)
    server.start()
    try:
        with grpc.insecure_channel(f"unix:{address}" if network == "unix" else address) as channel:
            yield register, channel
    finally:
        server.stop(0).wait(1)
        if socket_dir is not None:
            for path in socket_dir.iterdir():
                path.unlink()
            socket_dir.rmdir()


def test_services_register_once_on_the_first_calls(served: tuple[Counted, grpc.Channel]) -> None:
    register, channel = served
    assert register.runs == 0  # listening, nothing registered yet
    say = channel.unary_unary(ECHO, request_serializer=None, response_deserializer=None)
    with ThreadPoolExecutor(max_workers=8) as callers:
        answers = list(callers.map(lambda n: say(f"hello {n}".encode(), timeout=10), range(8)))
    assert answers == [f"hello {n}".encode() for n in range(8)]
    assert register.runs == 1


def test_a_method_no_service_has_is_unimplemented(served: tuple[Counted, grpc.Channel]) -> None:
    register, channel = served
    with pytest.raises(grpc.RpcError) as raised:
        channel.unary_unary("/test.Echo/Shout", request_serializer=None, response_deserializer=None)(
            b"hello", timeout=10
        )
    assert raised.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert register.runs == 1


@pytest.mark.parametrize(
    "use",
    [
        lambda registry: registry.add_insecure_port("unix:/tmp/never.sock"),
        lambda registry: registry.add_secure_port("localhost:0", grpc.local_server_credentials()),
        lambda registry: registry.start(),
        lambda registry: registry.stop(0),
    ],
    ids=["insecure port", "secure port", "start", "stop"],
)
def test_a_registry_never_listens(use: Callable[[Registry], Any]) -> None:
    with pytest.raises(TypeError, match="does not listen"):
        use(Registry())


# What the handshake must not wait for: protobuf, the generated stubs, the health service (grpcio
# itself imports the grpc_health package, not its modules), the instances and the query services.
DEFERRED = re.compile(
    r"google\.protobuf|grpc_health\.|cloudsql_cos_ts\.(proto|instances|server\.services|server\.wire)"
)


@contextmanager
def logging_imports(tmp_path: Path) -> Iterator[tuple[list[str], Path]]:
    """The plugin from the source tree with Python's import log on stderr: its handshake fields and the log's path."""
    env = grafana_env(tmp_path / "cache", PYTHONPATH=str(REPO / "plugin"))
    command = [sys.executable, "-X", "importtime", "-m", "cloudsql_cos_ts.server"]
    stderr_path = tmp_path / "stderr.log"
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(command, env=env, cwd="/", stdout=subprocess.PIPE, stderr=stderr)
    assert process.stdout is not None
    try:
        yield process.stdout.readline().decode().strip().split("|"), stderr_path
    finally:
        process.terminate()
        process.wait(10)
        process.stdout.close()


def test_the_handshake_comes_before_the_services_load(tmp_path: Path) -> None:
    """Python's import log, up to the plugin's "plugin started" line (written right after the
    handshake, before the warm-up thread starts), names none of the deferred modules; a call after
    the handshake is answered by them."""
    with (
        logging_imports(tmp_path) as (handshake, stderr_path),
        grpc.insecure_channel(f"unix:{handshake[3]}") as channel,
    ):
        diagnostics = pb_grpc.DiagnosticsStub(channel)
        result = diagnostics.CheckHealth(pb.CheckHealthRequest(pluginContext=datasource_context()), timeout=60)
        assert result.message
    log = stderr_path.read_text()
    before, started, _ = log.partition('"plugin started"')
    assert started, log[-2000:]
    imported = [line.rsplit("|", 1)[1].strip() for line in before.splitlines() if line.startswith("import time:")]
    assert "grpc" in imported
    assert [name for name in imported if DEFERRED.match(name)] == []


def test_the_warm_up_prepares_the_first_query_before_any_call(tmp_path: Path) -> None:
    """With no call at all, the warm-up thread opens the result cache (its shards appear) and loads the DuckDB
    engine's modules, so the first query waits for neither."""
    engine = re.compile(r"^import time:.*\| +cloudsql_cos_ts\.engines\.duckdb\.engine$", re.MULTILINE)
    results = tmp_path / "cache" / RESULTS_FOLDER
    with logging_imports(tmp_path) as (_, stderr_path):
        deadline = time.monotonic() + 60
        while not (engine.search(stderr_path.read_text()) and any(results.glob("*"))):
            assert time.monotonic() < deadline, "the warm-up did not prepare the first query within 60 s"
            time.sleep(0.1)
