"""One real Grafana server for the whole e2e session, loading our dist/ as an unsigned plugin.

The session fixture builds what is missing (the Grafana binary through scripts/grafana_build.sh,
cached outside the repository; dist/ through scripts/build.sh), generates six hours of flow logs
ending now (so relative ranges and the alert rule see data), provisions the datasource, the
bundled dashboard and the shipped alert rule, and starts Grafana. A missing piece fails the tests: a real Grafana is
a required capability, never skipped. Logs are copied to tests/.output/e2e/ at the end.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cloudsql_cos_ts.flowlogs.generator import GenerationSummary, generate
from tests.dashboard.expected import Record, load_records
from tests.e2e.grafana import PLUGIN_ID, GrafanaServer, RunFolders
from tests.e2e.provisioning import FlowLogFolders, bundled_dashboard_uid, provision

REPO = Path(__file__).resolve().parents[2]
OUTPUT = REPO / "tests" / ".output" / "e2e"
EXECUTABLE = "gpx_cloudsql_cos_ts_linux_amd64"
# A fresh machine compiles Grafana from source (about 15-25 minutes on 2 shared cores); later runs
# find it cached. The bound is generous on purpose and still ends a hung build.
GRAFANA_BUILD_TIMEOUT_S = 3600
DIST_BUILD_TIMEOUT_S = 1800
FLOW_LOG_HOURS = 6


@dataclass
class E2eWorld:
    grafana: GrafanaServer
    summary: GenerationSummary
    records: list[Record]
    flow_logs: FlowLogFolders
    ready_seconds: float
    dist: Path
    dashboard_uid: str


def run_logged(command: list[str], log: Path, timeout_s: float, what: str) -> str:
    """Run a build step with its output in ``log``; fail the session (not skip) when it fails.

    The step runs in its own process group so a timeout also ends the compilers it started.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as stderr:
        process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=stderr, text=True,
                                   start_new_session=True)
        try:
            stdout, _ = process.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate(timeout=30)
            pytest.fail(f"{what} did not finish within {timeout_s}s; see {log}")
    if process.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
        pytest.fail(f"{what} failed with exit code {process.returncode}; see {log}\n{tail}")
    return stdout


def grafana_binary() -> Path:
    stdout = run_logged(["bash", str(REPO / "scripts" / "grafana_build.sh")], OUTPUT / "grafana-build.log",
                        GRAFANA_BUILD_TIMEOUT_S, "building Grafana (scripts/grafana_build.sh)")
    return Path(stdout.strip().splitlines()[-1])


def dist_folder() -> Path:
    """dist/ of the launcher the test script points at, built when it is missing."""
    configured = os.environ.get("CLOUDSQL_PLUGIN_EXECUTABLE")
    dist = Path(configured).parent if configured else REPO / "dist"
    if not all((dist / name).exists() for name in (EXECUTABLE, "plugin.json", "module.js")):
        run_logged(["bash", str(REPO / "scripts" / "build.sh")], OUTPUT / "dist-build.log", DIST_BUILD_TIMEOUT_S,
                   "building dist/ (scripts/build.sh)")
    return dist


def recent_flow_logs(root: Path) -> tuple[FlowLogFolders, GenerationSummary]:
    """Three vNICs over the six hours that end at the current five-minute window."""
    folders = FlowLogFolders(source=root / "flowlogs", destination=root / "results")
    summary = generate(folders.source, vnics=3, days=FLOW_LOG_HOURS / 24, records_per_object=20, seed=11)
    assert summary.end > datetime.now(UTC) - timedelta(minutes=10), summary.end
    return folders, summary


def is_dangling(path: Path) -> bool:
    return path.is_symlink() and not path.exists()


def dangling_symlinks(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if is_dangling(path))


def install_plugin(dist: Path, plugins: Path) -> None:
    """Put dist/ under the plugin id with the files the release archive carries.

    The release zip stores a symlink's target as a plain file and leaves out links that point
    nowhere; Grafana's plugin finder, walking a copied or linked dist/ with links followed, stops the
    whole server at the first dangling one (test_dist_has_no_dangling_symlinks names them).
    """
    shutil.copytree(dist, plugins / PLUGIN_ID, symlinks=False, ignore=_dangling_names)


def _dangling_names(folder: str, names: list[str]) -> list[str]:
    """copytree's own ignore_dangling_symlinks resolves relative links against the cwd, so not that."""
    return [name for name in names if is_dangling(Path(folder) / name)]


def keep_logs(folders: RunFolders) -> None:
    target = OUTPUT / f"run-{time.strftime('%Y%m%d-%H%M%S')}"
    target.mkdir(parents=True, exist_ok=True)
    for log in (folders.console_log, folders.config, *folders.logs.glob("*.log")):
        if log.exists():
            shutil.copy2(log, target / log.name)


@pytest.fixture(scope="session")
def e2e(tmp_path_factory: pytest.TempPathFactory) -> Iterator[E2eWorld]:
    binary = grafana_binary()
    dist = dist_folder()
    root = tmp_path_factory.mktemp("grafana-e2e")
    flow_logs, summary = recent_flow_logs(root)
    folders = RunFolders(root / "run")
    folders.create()
    install_plugin(dist, folders.plugins)
    provision(folders, flow_logs)
    grafana = GrafanaServer(binary=binary, homepath=binary.parent.parent / "home", folders=folders)
    began = time.monotonic()
    try:
        grafana.start()
        yield E2eWorld(grafana, summary, load_records(flow_logs.source), flow_logs, time.monotonic() - began, dist,
                       bundled_dashboard_uid(folders.plugins / PLUGIN_ID))
    finally:
        grafana.stop()
        keep_logs(folders)
