"""Fixtures of the reliability suite: in-process servicers for the fuzz targets, a generated flow-log folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.modes import TIMEOUT_S
from tests.reliability.flows import generate_small_set
from tests.reliability.servicers import Servicers
from tests.storage.conftest import iam_endpoint, s3_endpoint

__all__ = ["iam_endpoint", "s3_endpoint"]  # the real S3 server and IAM endpoint of the storage tests

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """In the long mode, this folder's tests get the long mode's time limit instead of the project's."""
    if TIMEOUT_S is None:
        return
    for item in items:
        if item.path.is_relative_to(HERE) and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(TIMEOUT_S))


@pytest.fixture(scope="module")
def servicers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servicers]:
    handlers = Servicers(tmp_path_factory.mktemp("fuzz") / "cache")
    yield handlers
    handlers.close()


@pytest.fixture(scope="session")
def flow_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("flows")
    generate_small_set(folder)
    return folder
