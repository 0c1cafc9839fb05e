"""What each platform's frozen executable does before the plugin's first line (issue 22's handshake).

The bundle keeps its modules as byte-code files in runtime/ (PyInstaller's noarchive option), so a
start decompresses no module archive, and of PyInstaller's run-time hooks only the stand-in of
packaging/pyinstaller runs (it replaces those of inspect, multiprocessing and pkgutil). Each point is
read from the executable's own table of contents, for every platform in dist/.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PyInstaller.archive.readers import CArchiveReader, ZlibArchiveReader

from tests.release.test_release_package import DIST, EXECUTABLE, PLATFORMS

# PyInstaller's table-of-contents type codes: a script run at start, the module archive.
SCRIPT = "s"
MODULE_ARCHIVE = "z"


def contents(platform: str) -> dict[str, str]:
    """Each entry of the executable's archive by name, with its type code."""
    toc = CArchiveReader(str(DIST / "backend" / platform / EXECUTABLE)).toc
    return {name: entry[-1] for name, entry in toc.items()}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_only_the_stand_in_run_time_hook_runs_before_the_entry(platform: str) -> None:
    scripts = [name for name, kind in contents(platform).items() if kind == SCRIPT]
    assert scripts == ["pyiboot01_bootstrap", "pyi_rth_skipped", "entry"]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_modules_are_files_and_the_archive_is_empty(platform: str, tmp_path: Path) -> None:
    archives = [name for name, kind in contents(platform).items() if kind == MODULE_ARCHIVE]
    assert archives == ["PYZ.pyz"]
    pyz = tmp_path / "PYZ.pyz"
    pyz.write_bytes(CArchiveReader(str(DIST / "backend" / platform / EXECUTABLE)).extract("PYZ.pyz"))
    assert ZlibArchiveReader(str(pyz)).toc == {}
    runtime = DIST / "backend" / platform / "runtime"
    for module in ("cloudsql_cos_ts/server/main.pyc", "grpc/__init__.pyc", "duckdb/__init__.pyc"):
        assert (runtime / module).is_file(), module
