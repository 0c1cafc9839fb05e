"""A plugin per test for the cache tests: each starts from an empty cache directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.plugin_host import PluginProcess


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def plugin(cache_dir: Path) -> Iterator[PluginProcess]:
    process = PluginProcess(cache_dir=cache_dir).start()
    yield process
    process.stop()
