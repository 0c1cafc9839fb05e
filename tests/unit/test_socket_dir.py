"""The sweep removes socket folders of dead plugins only: never a live owner's, never anything not ours."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from cloudsql_cos_ts.server import socket_dir
from cloudsql_cos_ts.server.socket_dir import (
    OWNER_NAME,
    PREFIX,
    SOCKET_NAME,
    ProcessIdentity,
    identity_of,
    is_running,
    make_socket_dir,
    sweep_stale_socket_dirs,
)


def _dead_pid() -> int:
    """The pid of a process that has ended and been reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.fixture
def zombie() -> Iterator[int]:
    """A child that has exited but is not reaped yet."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 30
    while (Path("/proc") / str(child.pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
        assert time.monotonic() < deadline, "the child did not exit"
        time.sleep(0.01)
    yield child.pid
    child.wait()


def _bind_socket(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real unix socket file at ``path`` (bound relative to its folder: sun_path holds 108 bytes)."""
    with monkeypatch.context() as inside:
        inside.chdir(path.parent)
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(path.name)
        sock.close()


def _folder(
    parent: Path,
    owner: ProcessIdentity | str | None,
    *,
    name: str = "",
    with_socket: bool = True,
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    folder = parent / (name or f"{PREFIX}{len(list(parent.iterdir()))}")
    folder.mkdir(mode=0o700)
    if owner is not None:
        (folder / OWNER_NAME).write_text(owner if isinstance(owner, str) else owner.to_json())
    if with_socket:
        _bind_socket(folder / SOCKET_NAME, monkeypatch)
    return folder


def test_made_folder_is_private_and_names_this_process(tmp_path: Path) -> None:
    folder = make_socket_dir(tmp_path)
    assert folder.name.startswith(PREFIX) and folder.stat().st_mode & 0o777 == 0o700
    owner = ProcessIdentity.from_json((folder / OWNER_NAME).read_text())
    assert owner == identity_of(os.getpid()) and owner.start and owner.boot


def test_identity_tells_running_from_gone(zombie: int) -> None:
    me = identity_of(os.getpid())
    parent = identity_of(os.getppid())
    assert is_running(me) and is_running(parent)
    assert not is_running(ProcessIdentity(_dead_pid(), me.start, me.boot))
    assert not is_running(identity_of(zombie)), "a zombie holds no socket"
    assert not is_running(ProcessIdentity(parent.pid, str(int(parent.start) + 1), parent.boot)), "pid reused"
    assert not is_running(ProcessIdentity(parent.pid, parent.start, "another-boot"))


OwnerOf = Callable[[], ProcessIdentity]
LIVE: OwnerOf = lambda: identity_of(os.getppid())  # noqa: E731
DEAD: OwnerOf = lambda: ProcessIdentity(_dead_pid(), "1", "")  # noqa: E731


@dataclass(frozen=True)
class Case:
    name: str
    owner: OwnerOf | str | None
    removed: bool
    with_socket: bool = True
    extra: str | None = None  # a file, or a folder when it ends with "/"


CASES = [
    Case("dead owner with its socket", DEAD, removed=True),
    Case("dead owner, socket never bound", DEAD, removed=True, with_socket=False),
    Case("live owner", LIVE, removed=False),
    Case("dead owner, but a file that is not ours", DEAD, removed=False, extra="notes.txt"),
    Case("dead owner, but a subfolder", DEAD, removed=False, extra="sub/"),
    Case("no owner record (not ours to judge)", None, removed=False),
    Case("owner record we did not write", '{"pid": "1"}', removed=False),
    Case("owner record that is not JSON", "pid=1", removed=False),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_sweep_removes_dead_owners_folders_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: Case) -> None:
    record = case.owner() if callable(case.owner) else case.owner
    folder = _folder(tmp_path, record, with_socket=case.with_socket, monkeypatch=monkeypatch)
    if case.extra is not None and case.extra.endswith("/"):
        (folder / case.extra).mkdir()
    elif case.extra is not None:
        (folder / case.extra).write_text("x")
    assert sweep_stale_socket_dirs(tmp_path) == ([folder] if case.removed else [])
    assert folder.exists() is not case.removed


def test_sweep_leaves_lookalikes_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dead = DEAD()
    other_name = _folder(tmp_path, dead, name="other-prefix-x", monkeypatch=monkeypatch)
    target = _folder(tmp_path, dead, name="outside", monkeypatch=monkeypatch)
    (tmp_path / "keep").mkdir()
    link = tmp_path / f"{PREFIX}link"
    link.symlink_to(target, target_is_directory=True)
    plain_file = tmp_path / f"{PREFIX}file"
    plain_file.write_text(dead.to_json())
    fake_socket = _folder(tmp_path, dead, with_socket=False, monkeypatch=monkeypatch)
    (fake_socket / SOCKET_NAME).write_text("a regular file under the socket's name")
    linked_record = _folder(tmp_path, None, monkeypatch=monkeypatch)
    (linked_record / OWNER_NAME).symlink_to(target / OWNER_NAME)
    cache_dir = tmp_path / f"{PREFIX}{os.getuid()}"  # the default cache folder shares the prefix
    cache_dir.mkdir()
    (cache_dir / "results").mkdir()

    assert sweep_stale_socket_dirs(tmp_path) == []
    for kept in (other_name, target, link, plain_file, fake_socket, linked_record, cache_dir / "results"):
        assert kept.exists() or kept.is_symlink(), kept


def test_sweep_leaves_other_users_folders_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _folder(tmp_path, DEAD(), monkeypatch=monkeypatch)
    monkeypatch.setattr(socket_dir.os, "getuid", lambda: os.stat(folder).st_uid + 1)
    assert sweep_stale_socket_dirs(tmp_path) == [] and folder.exists()


def test_sweep_never_raises_on_a_missing_parent(tmp_path: Path) -> None:
    assert sweep_stale_socket_dirs(tmp_path / "missing") == []
