"""Fixtures of the reliability suite: the in-process servicers shared by the fuzz targets."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.reliability.servicers import Servicers


@pytest.fixture(scope="module")
def servicers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servicers]:
    handlers = Servicers(tmp_path_factory.mktemp("fuzz") / "cache")
    yield handlers
    handlers.close()
