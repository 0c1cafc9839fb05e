"""The host's own Go tests (``go test ./...`` in tests/host) and its loader against a broken dist/.

The Go tests cover the alert evaluator (reduce modes, threshold types, the shipped rule's states),
the plugin.json rules and provisioning's ``$VAR`` expansion. The loader cases here start the built
host on a copy of dist/ (its entries linked, not copied) with one thing wrong and expect it to refuse
to load, naming the problem, before any plugin process runs; a last one checks that SIGTERM stops
the plugin and the host exits 0.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.host.host import BUILD_TIMEOUT_S, EXECUTABLE, REPO, HostProcess, dist_folder, host_binary

HOST_SOURCE = REPO / "tests" / "host"
REFUSAL_TIMEOUT_S = 60


def test_go_tests() -> None:
    go = shutil.which("go") or "/usr/local/go/bin/go"
    tested = subprocess.run([go, "test", "-buildvcs=false", "-count=1", "./..."], cwd=HOST_SOURCE,
                            env={**os.environ, "GOTOOLCHAIN": "local"}, capture_output=True, text=True,
                            timeout=BUILD_TIMEOUT_S, check=False)
    assert tested.returncode == 0, tested.stdout + tested.stderr


def linked_copy(dist: Path, target: Path) -> Path:
    """target/ with a symlink to every top-level entry of dist/ (the backend bundle is large)."""
    target.mkdir()
    for entry in dist.iterdir():
        (target / entry.name).symlink_to(entry)
    return target


def replace_manifest(folder: Path, edit: Callable[[dict[str, Any]], object]) -> None:
    manifest = json.loads((folder / "plugin.json").read_text())
    edit(manifest)
    (folder / "plugin.json").unlink()
    (folder / "plugin.json").write_text(json.dumps(manifest))


def dangling_link(folder: Path) -> None:
    (folder / "img-old").symlink_to(folder / "no-such-file")


def no_executable(folder: Path) -> None:
    (folder / EXECUTABLE).unlink()


def missing_include(folder: Path) -> None:
    (folder / "dashboards").unlink()


def no_version(folder: Path) -> None:
    replace_manifest(folder, lambda m: m["info"].pop("version"))


def other_id(folder: Path) -> None:
    replace_manifest(folder, lambda m: m.update(id="acme-other-datasource"))


@pytest.mark.timeout(BUILD_TIMEOUT_S + REFUSAL_TIMEOUT_S)
@pytest.mark.parametrize(("break_it", "named"), [
    (dangling_link, "img-old"),
    (no_executable, EXECUTABLE),
    (missing_include, "dashboards/vpc-flow-logs.json"),
    (no_version, "info.version"),
    (other_id, "not in allow_loading_unsigned_plugins"),
], ids=lambda v: v.__name__ if callable(v) else None)
def test_the_loader_refuses_a_broken_plugin_folder(tmp_path: Path, break_it: Callable[[Path], None],
                                                     named: str) -> None:
    folder = linked_copy(dist_folder(), tmp_path / "plugin")
    break_it(folder)
    (tmp_path / "provisioning").mkdir()
    run = subprocess.run([str(host_binary()), "serve", "-plugin-dir", str(folder), "-provisioning",
                          str(tmp_path / "provisioning"), "-listen", "127.0.0.1:0"],
                         capture_output=True, text=True, timeout=REFUSAL_TIMEOUT_S, check=False)
    assert run.returncode == 1 and run.stdout == "", (run.returncode, run.stdout, run.stderr)
    assert named in run.stderr, run.stderr
    assert "plugin started" not in run.stderr, "a plugin process ran although the folder is broken"


@pytest.mark.timeout(BUILD_TIMEOUT_S + REFUSAL_TIMEOUT_S)
def test_sigterm_stops_the_plugin_and_exits_0(tmp_path: Path) -> None:
    """The contract of ``serve``: on SIGTERM the host stops the plugin process, then exits 0."""
    (tmp_path / "provisioning").mkdir()
    host = HostProcess(binary=host_binary(), plugin_dir=dist_folder(), provisioning=tmp_path / "provisioning",
                       log=tmp_path / "host.log").start()
    plugin = psutil.Process(host.get("/api/host/plugin")["pid"])
    assert host.stop() == 0, host.log_tail()
    assert not plugin.is_running() or plugin.status() == psutil.STATUS_ZOMBIE
