"""Shared fixtures: a running plugin process per test module; the session's Spark server (tests/spark_server.py)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from cloudsql_cos_ts.log import log
from tests.plugin_host import PluginProcess

pytest_plugins = ("tests.spark_server",)


@pytest.fixture(autouse=True)
def _log_level_of_a_plugin() -> Iterator[None]:
    """The CLI quiets the process's logger (``cli/main.py``): a test running it in process must not quiet the
    log lines later tests read."""
    yield
    log.set_level("info")


@pytest.fixture(scope="module")
def plugin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PluginProcess]:
    cache = tmp_path_factory.mktemp("plugin") / "cache"
    process = PluginProcess(cache_dir=cache).start()
    yield process
    process.stop()


@pytest.fixture
def fresh_cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    """A server that accepts connections and never answers: a hung IAM or COS endpoint."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()
