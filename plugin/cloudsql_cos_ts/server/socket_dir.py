"""The private folder of the plugin's unix socket, and the sweep of folders left by dead plugins.

A plugin that stops cleanly removes its folder, but one that is killed (SIGKILL, OOM killer, a
crash, Grafana's kill after a hung Shutdown) cannot, and every such death used to leave a
``cloudsql-cos-ts-XXXX/plugin.sock`` folder in the temp dir for good. Each folder therefore names
its owner — pid, the process's start time and the boot it started in, so a reused pid or a
reboot is not mistaken for the owner — and every plugin, once it serves, removes the folders whose
owner is gone.

The sweep is deliberately narrow: it only looks at folders with our prefix, owned by our user,
holding nothing but our owner record and (optionally) a socket; it never recurses, never follows
symlinks and leaves anything it cannot read or parse alone. A folder whose owner still runs — or
might, when its identity cannot be read — is kept.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

PREFIX = "cloudsql-cos-ts-"
SOCKET_NAME = "plugin.sock"
OWNER_NAME = "owner.json"
_PROC = Path("/proc")
_BOOT_ID = _PROC / "sys" / "kernel" / "random" / "boot_id"


@dataclass(frozen=True)
class ProcessIdentity:
    """What tells one process apart from a later one with the same pid ("" where the OS has no /proc)."""

    pid: int
    start: str = ""
    boot: str = ""

    def to_json(self) -> str:
        return json.dumps({"pid": self.pid, "start": self.start, "boot": self.boot})

    @staticmethod
    def from_json(text: str) -> ProcessIdentity | None:
        """The recorded owner, or None for a record we did not write (then the folder is not ours to judge)."""
        try:
            data = json.loads(text)
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        pid, start, boot = data.get("pid"), data.get("start", ""), data.get("boot", "")
        if type(pid) is not int or pid <= 0 or not isinstance(start, str) or not isinstance(boot, str):
            return None
        return ProcessIdentity(pid, start, boot)


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def _stat_fields(pid: int) -> list[str] | None:
    """``/proc/<pid>/stat`` after the command name (which may hold spaces and parentheses), or None."""
    text = _read(_PROC / str(pid) / "stat")
    if ")" not in text:
        return None
    return text.rsplit(")", 1)[1].split()


def identity_of(pid: int) -> ProcessIdentity:
    """The identity of a running process; start and boot stay empty where /proc cannot tell them."""
    fields = _stat_fields(pid)
    start = fields[19] if fields is not None and len(fields) > 19 else ""  # field 22: start time in ticks
    return ProcessIdentity(pid, start, _read(_BOOT_ID) if start else "")


def is_running(owner: ProcessIdentity) -> bool:
    """Whether the recorded process still runs; when in doubt (no /proc, no permission) it does."""
    if owner.pid == os.getpid():
        return True
    boot = _read(_BOOT_ID)
    if owner.boot and boot and owner.boot != boot:
        return False  # recorded before a reboot of a machine whose temp dir survived it
    if _PROC.joinpath("self", "stat").exists():
        fields = _stat_fields(owner.pid)
        if fields is None:
            return False
        if fields[0] == "Z":
            return False  # a zombie serves nothing: its parent only has not reaped it yet
        return not owner.start or len(fields) <= 19 or fields[19] == owner.start
    try:
        os.kill(owner.pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def make_socket_dir(parent: Path | None = None) -> Path:
    """A new private (0700) folder for this process's socket, its owner record written before any socket."""
    folder = Path(tempfile.mkdtemp(prefix=PREFIX, dir=parent))
    with (folder / OWNER_NAME).open("x") as record:
        record.write(identity_of(os.getpid()).to_json())
    return folder


def _stale(folder: Path) -> bool:
    """True only for a folder we made (name, user, exact contents, our record) whose owner is gone."""
    info = folder.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        return False
    names = set(os.listdir(folder))
    if OWNER_NAME not in names or not names <= {OWNER_NAME, SOCKET_NAME}:
        return False
    record = folder / OWNER_NAME
    if not stat.S_ISREG(record.lstat().st_mode):
        return False
    if SOCKET_NAME in names and not stat.S_ISSOCK((folder / SOCKET_NAME).lstat().st_mode):
        return False
    owner = ProcessIdentity.from_json(_read(record))
    return owner is not None and not is_running(owner)


def sweep_stale_socket_dirs(parent: Path | None = None) -> list[Path]:
    """Remove the socket folders of dead plugins below ``parent`` (the temp dir); the folders removed.

    Never raises: a folder that changes or vanishes meanwhile (another plugin sweeping at the same
    time) is skipped, and the sweep is best effort by nature.
    """
    base = Path(parent) if parent is not None else Path(tempfile.gettempdir())
    removed: list[Path] = []
    try:
        entries = [entry.name for entry in os.scandir(base) if entry.name.startswith(PREFIX)]
    except OSError:
        return removed
    for name in entries:
        folder = base / name
        try:
            if not _stale(folder):
                continue
            (folder / SOCKET_NAME).unlink(missing_ok=True)
            (folder / OWNER_NAME).unlink(missing_ok=True)
            folder.rmdir()  # fails, and keeps the folder, if anything appeared in it meanwhile
        except OSError:
            continue
        removed.append(folder)
    return removed
