"""Shared fixtures: a running plugin process per test module; the session's Spark server (tests/spark_server.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.plugin_host import PluginProcess

pytest_plugins = ("tests.spark_server",)


@pytest.fixture(scope="module")
def plugin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PluginProcess]:
    cache = tmp_path_factory.mktemp("plugin") / "cache"
    process = PluginProcess(cache_dir=cache).start()
    yield process
    process.stop()


@pytest.fixture
def fresh_cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"
