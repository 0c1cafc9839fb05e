"""The Python packages of the venv and of the bundle are exactly those of requirements.lock.

The build installs the venv from the lock alone (hash-checked) and freezes the bundle from that
venv, so the lock is what ships. These checks catch a venv that drifted (a package added by hand,
an upgrade), a lock that no longer satisfies its own requirements, and a bundle frozen from another
set. The bundle holds no pip; the metadata folders PyInstaller copies into it are compared instead,
in the bundle of every platform built (the arm64 one is frozen from its own install of the same lock).
"""

from __future__ import annotations

import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LOCK = REPO / "requirements.lock"
BUNDLES = REPO / "dist" / "backend"
# The test command builds linux_amd64; the release script adds linux_arm64.
PLATFORMS = sorted({"linux_amd64"} | ({p.name for p in BUNDLES.iterdir()} if BUNDLES.is_dir() else set()))
PROJECT = "cloudsql-cos-ts"


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked() -> dict[str, str]:
    pins = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", LOCK.read_text(), flags=re.MULTILINE)
    return {canonical(name): version for name, version in pins}


def test_the_lock_pins_every_package_with_hashes() -> None:
    pins = list(re.finditer(r"^(\S+)==\S+ \\\n(\s+--hash=sha256:[0-9a-f]{64})?", LOCK.read_text(), re.MULTILINE))
    assert len(pins) == len(locked()) > 0
    assert [pin.group(1) for pin in pins if not pin.group(2)] == [], "packages without hashes"


def test_the_venv_holds_exactly_the_locked_versions() -> None:
    installed = {canonical(d.metadata["Name"]): d.version for d in metadata.distributions()}
    installed.pop(canonical(PROJECT), None)
    installed.pop("pip", None)
    assert installed == locked()


def test_pip_check_is_clean_in_the_venv() -> None:
    result = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_bundle_carries_the_locked_versions(platform: str) -> None:
    folders = sorted((BUNDLES / platform / "runtime").glob("*.dist-info"))
    assert folders, "dist/ is not built: run bash scripts/build.sh"
    pins = locked()
    for folder in folders:
        name, version = folder.name.removesuffix(".dist-info").rsplit("-", 1)
        assert pins.get(canonical(name)) == version, folder.name
