"""Runs the Go conformance harness (the *.go files beside this one) against the plugin executable.

The harness starts the executable the way Grafana does (hashicorp/go-plugin, the plugin SDK's
handshake and gRPC clients, the dataplane readers of server-side expressions) and prints one JSON
line per check. Each expected check is one pytest test, so a check the harness never reported
fails as well.

The executable is $CLOUDSQL_PLUGIN_EXECUTABLE, by default dist/gpx_cloudsql_cos_ts_linux_amd64.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
HARNESS = REPO / "build" / "conformance" / "conformance"
OUTPUT = REPO / "tests" / ".output" / "conformance.jsonl"
DEFAULT_EXECUTABLE = REPO / "dist" / "gpx_cloudsql_cos_ts_linux_amd64"

# The first build downloads the Go modules and compiles the SDK: minutes on a small machine.
BUILD_TIMEOUT_S = 900
RUN_TIMEOUT_S = 600

EXPECTED_CHECKS = (
    "handshake",
    "check_health",
    "query_table_coercions",
    "query_time_series",
    "query_numeric",
    "query_per_query_errors",
    "resource_health",
    "resource_not_found",
    "collect_metrics",
    "concurrent_queries",
    "shutdown",
    "stdout_only_handshake",
)

pytestmark = pytest.mark.timeout(BUILD_TIMEOUT_S + RUN_TIMEOUT_S)


@dataclass(frozen=True)
class HarnessRun:
    checks: dict[str, dict[str, Any]]
    measures: dict[str, dict[str, Any]]
    returncode: int
    stderr: str

    def stderr_tail(self, lines: int = 20) -> str:
        return "\n".join(self.stderr.splitlines()[-lines:])

    def assert_check_passed(self, check: str, record_property: Any) -> None:
        """One harness check as one pytest test; the run's measures go into the test report."""
        for name, measure in self.measures.items():
            record_property(name, f"{measure['value']:.3f} {measure['unit']}")
        result = self.checks.get(check)
        assert result is not None, (
            f"the harness reported nothing for {check} (exit code {self.returncode}); "
            f"its stderr ends with:\n{self.stderr_tail()}"
        )
        assert result["ok"], f"{check}: {result['detail']}\n--- harness stderr ends with ---\n{self.stderr_tail()}"

    def assert_reported_exactly(self, expected: tuple[str, ...] | list[str]) -> None:
        """No check missing or unexpected, and the exit code agrees with the results."""
        assert set(self.checks) == set(expected)
        all_ok = all(result["ok"] for result in self.checks.values())
        assert self.returncode == (0 if all_ok else 1), self.stderr_tail()


def _go_command() -> str:
    go = shutil.which("go") or shutil.which("/usr/local/go/bin/go")
    if go is None:
        pytest.fail(
            "Go is not installed (neither `go` on PATH nor /usr/local/go/bin/go); the conformance "
            "harness needs Go >= 1.26.5 to build",
            pytrace=False,
        )
    return go


def _run_go(*args: str) -> subprocess.CompletedProcess[str]:
    """Runs a go command in this folder; GOTOOLCHAIN=local makes an old Go fail with a clear version
    message instead of trying to fetch a newer toolchain."""
    env = {**os.environ, "GOTOOLCHAIN": "local"}
    try:
        return subprocess.run(
            [_go_command(), *args],
            cwd=HERE,
            env=env,
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"`go {' '.join(args)}` took over {BUILD_TIMEOUT_S} s", pytrace=False)


def _build_harness() -> Path:
    built = _run_go("build", "-buildvcs=false", "-o", str(HARNESS), ".")
    if built.returncode != 0:
        pytest.fail(f"building the conformance harness failed:\n{built.stderr}", pytrace=False)
    return HARNESS


def _plugin_executable() -> Path:
    executable = Path(os.environ.get("CLOUDSQL_PLUGIN_EXECUTABLE", DEFAULT_EXECUTABLE))
    if not executable.is_file():
        pytest.fail(
            f"plugin executable {executable} does not exist: build dist/ first or set CLOUDSQL_PLUGIN_EXECUTABLE",
            pytrace=False,
        )
    return executable


def _parse(stdout: str) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    checks: dict[str, dict[str, Any]] = {}
    measures: dict[str, dict[str, Any]] = {}
    for line in stdout.splitlines():
        record = json.loads(line)
        if "check" in record:
            checks[record["check"]] = record
        else:
            measures[record["measure"]] = record
    return checks, measures


def run_harness(*extra: str, output: Path, label: str = "") -> HarnessRun:
    """Build the harness, run it against the plugin executable, keep its JSON lines in ``output``."""
    command = [str(_build_harness()), "-executable", str(_plugin_executable()), *extra]
    try:
        ran = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the conformance harness{label} ran over {RUN_TIMEOUT_S} s", pytrace=False)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(ran.stdout)
    checks, measures = _parse(ran.stdout)
    return HarnessRun(checks, measures, ran.returncode, ran.stderr)


@pytest.fixture(scope="session")
def harness_run() -> HarnessRun:
    return run_harness(output=OUTPUT)


@pytest.mark.parametrize("check", EXPECTED_CHECKS)
def test_conformance(harness_run: HarnessRun, check: str, record_property: Any) -> None:
    harness_run.assert_check_passed(check, record_property)


def test_harness_reports_exactly_the_expected_checks(harness_run: HarnessRun) -> None:
    harness_run.assert_reported_exactly(EXPECTED_CHECKS)


def test_harness_self_test() -> None:
    """The harness's own Go tests: its checks pass on a conformant fake plugin and catch mistakes."""
    tested = _run_go("test", "-buildvcs=false", ".")
    assert tested.returncode == 0, tested.stdout + tested.stderr
