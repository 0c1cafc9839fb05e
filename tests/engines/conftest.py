"""The engine tests' fixtures: UTC in-process, the Data Engine lab; the real Spark Connect server is
tests/spark_server.py's (one per session).
"""

from __future__ import annotations

import pytest

from cloudsql_cos_ts.timerange import force_utc
from tests.engines.dataengine_fixtures import data_engine, iam_endpoint, lab, lab_data, s3_endpoint  # noqa: F401


@pytest.fixture(scope="session", autouse=True)
def utc() -> None:
    """The plugin process runs in UTC (server/main.py); so do the in-process engines here."""
    force_utc()
