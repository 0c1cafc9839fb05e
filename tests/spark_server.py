"""One real Spark Connect server for the whole test session, whichever folders use it.

Registered as a pytest plugin by tests/conftest.py rather than defined in a folder's conftest: a
session fixture that two conftests each import is two fixtures to pytest, so tests/engines and
tests/enrichment used to start a server each (a JVM start, and two JVMs alive at once).

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

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "spark_connect.sh"
START_TIMEOUT_S = 180  # the script's own bound is 120 s; this one also covers a slow JVM exit


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
