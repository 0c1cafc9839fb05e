"""A real Spark Connect server for the engine tests, started once per test session.

``scripts/spark_connect.sh`` starts it from the installed pyspark distribution on the machine's Java;
its logs stay in the session's pytest temp folder (``…/spark-connect/logs``). A missing Java or
pyspark fails the tests loudly: the Spark engine is only proven against a real Spark.
``CLOUDSQL_SPARK_URL`` points the tests at an already running server instead.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from cloudsql_cos_ts.timerange import force_utc
from tests.engines.dataengine_fixtures import data_engine, iam_endpoint, lab, lab_data, s3_endpoint  # noqa: F401

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "spark_connect.sh"
START_TIMEOUT_S = 180  # the script's own bound is 120 s; this one also covers a slow JVM exit


@pytest.fixture(scope="session", autouse=True)
def utc() -> None:
    """The plugin process runs in UTC (server/main.py); so do the in-process engines here."""
    force_utc()


@pytest.fixture(scope="session")
def spark_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    configured = os.environ.get("CLOUDSQL_SPARK_URL")
    if configured:
        yield configured
        return
    state = tmp_path_factory.mktemp("spark-connect")
    try:
        started = subprocess.run(
            [str(SCRIPT), "start", str(state)], check=True, capture_output=True, text=True, timeout=START_TIMEOUT_S
        )
    except subprocess.CalledProcessError as exc:
        pytest.fail(f"the Spark Connect server did not start (logs in {state}/logs):\n{exc.stderr}")
    except subprocess.TimeoutExpired:
        subprocess.run([str(SCRIPT), "stop", str(state)], check=False, timeout=60)
        pytest.fail(f"the Spark Connect server did not start within {START_TIMEOUT_S} s (logs in {state}/logs)")
    try:
        yield started.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run([str(SCRIPT), "stop", str(state)], check=False, capture_output=True, timeout=60)
