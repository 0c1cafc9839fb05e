"""A local folder seen as an object store (keys are ``/``-separated paths below the root).

The root comes from datasource settings, while keys can come from query-driven code paths, so every
key is checked to stay inside the root: no absolute keys, no ``..`` segments, and after resolving
symbolic links the path must still be below the resolved root. The "ETag" is built from the file's
modification time and size, which is what changes when a file is rewritten.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from cloudsql_cos_ts.errors import BadRequest, DownstreamError, NotFound
from cloudsql_cos_ts.storage.base import Listing, ObjectInfo


def local_etag(stat: os.stat_result) -> str:
    return f"{stat.st_mtime_ns:x}-{stat.st_size:x}"


class LocalStore:
    """Objects are the regular files below ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._root_text = str(self.root)
        self._inside = self._root_text.rstrip("/") + "/"

    @property
    def identity(self) -> str:
        return f"file://{self.root}"

    def path_of(self, key: str) -> Path:
        """The file for ``key``; ``BadRequest`` for keys that would leave the root."""
        parts = self._parts(key)
        path = self.root.joinpath(*[p for p in parts if p])
        self._check_inside(key, os.path.realpath(path))
        return path

    def folder_path(self, folder: str, resolved: dict[str, str]) -> str:
        """The real path of ``folder``, proven inside the root like :meth:`path_of`, for one of many folders.

        Resolving a path walks every component; the folders of one flow-log listing share all but
        their last one or two, so the real paths of parent folders are remembered in ``resolved``
        (one dict per batch of reads) and a new folder costs an ``lstat`` of its new components only.
        """
        self._parts(folder)
        real = self._resolve(folder, resolved)
        self._check_inside(folder, real)
        return real

    def _parts(self, key: str) -> list[str]:
        parts = key.split("/")
        if key.startswith("/") or "\0" in key or any(p in ("..", ".") for p in parts):
            raise BadRequest(f"object key {key!r} is not allowed: it would leave the folder {self.root}")
        return parts

    def _check_inside(self, key: str, resolved: str) -> None:
        # A string prefix test: comparing the path with each of a deep key's ``parents`` cost as much
        # as resolving it, once per hour folder of every flow-log query.
        if resolved != self._root_text and not resolved.startswith(self._inside):
            raise BadRequest(f"object key {key!r} is not allowed: it resolves outside the folder {self.root}")

    def _resolve(self, folder: str, resolved: dict[str, str]) -> str:
        """``os.path.realpath`` of the folder below the root, one component at a time over ``resolved``."""
        if not folder:
            return self._root_text
        known = resolved.get(folder)
        if known is not None:
            return known
        parent, _, name = folder.rpartition("/")
        real = self._resolve(parent, resolved)
        if name:  # ``a//b`` names ``a/b``, as in path_of
            candidate = os.path.join(real, name)
            real = os.path.realpath(candidate) if os.path.islink(candidate) else candidate
        resolved[folder] = real
        return real

    def list(self, prefix: str, delimiter: str | None = None) -> Listing:
        folder_part, _, name_start = prefix.rpartition("/")
        folder = self.path_of(folder_part) if folder_part else self.root
        base = f"{folder_part}/" if folder_part else ""
        listing = Listing()
        self._scan(str(folder), None, base, name_start=name_start, delimiter=delimiter, out=listing)
        listing.objects.sort(key=lambda info: info.key)
        listing.prefixes.sort()
        return listing

    def _scan(
        self, name: str, parent: int | None, base: str, *, name_start: str, delimiter: str | None, out: Listing
    ) -> None:
        """Append what the folder ``name`` holds: a path, or a name in the open folder ``parent``, then opened never
        through a symbolic link. Nothing when there is no such folder (or it went since its parent was read)."""
        flags = os.O_RDONLY | os.O_DIRECTORY | (os.O_NOFOLLOW if parent is not None else 0)
        try:
            folder = os.open(name, flags, dir_fd=parent)
        except (FileNotFoundError, NotADirectoryError):
            return
        except OSError as exc:
            raise DownstreamError(f"cannot read the folder {self.root / base}: {exc.strerror}") from None
        try:
            self._scan_open(folder, base, name_start=name_start, delimiter=delimiter, out=out)
        finally:
            os.close(folder)

    def _scan_open(self, folder: int, base: str, *, name_start: str, delimiter: str | None, out: Listing) -> None:
        """Append what the open ``folder`` holds.

        Subfolders are opened relative to it and files are looked up by name in it: a lookup by the whole path
        walked every component of a deep flow-log key again, for each of the tens of thousands of files a week
        of a vNIC's objects holds.
        """
        try:
            entries = list(os.scandir(folder))
        except OSError as exc:
            raise DownstreamError(f"cannot read the folder {self.root / base}: {exc.strerror}") from None
        for entry in entries:
            if not entry.name.startswith(name_start) or entry.name.startswith(".tmp-"):
                continue
            key = base + entry.name
            if entry.is_dir(follow_symlinks=False):
                if delimiter == "/":
                    out.prefixes.append(key + "/")
                else:
                    self._scan(entry.name, folder, key + "/", name_start="", delimiter=None, out=out)
            elif entry.is_file(follow_symlinks=False):
                out.objects.append(_info(key, entry.stat(follow_symlinks=False)))

    def get(self, key: str) -> tuple[bytes, str]:
        path = self.path_of(key)
        try:
            with path.open("rb") as handle:
                stat = os.fstat(handle.fileno())
                return handle.read(), local_etag(stat)
        except FileNotFoundError:
            raise NotFound(f"no file {key!r} in the folder {self.root}") from None
        except OSError as exc:
            raise DownstreamError(f"cannot read {path}: {exc.strerror}") from None

    def head(self, key: str) -> ObjectInfo:
        try:
            return _info(key, self.path_of(key).stat())
        except FileNotFoundError:
            raise NotFound(f"no file {key!r} in the folder {self.root}") from None

    def put(self, key: str, data: bytes) -> None:
        self._write(key, lambda temp: temp.write_bytes(data))

    def put_file(self, key: str, path: Path) -> None:
        self._write(key, lambda temp: shutil.copyfile(path, temp))

    def get_file(self, key: str, path: Path) -> None:
        try:
            shutil.copyfile(self.path_of(key), path)
        except FileNotFoundError:
            raise NotFound(f"no file {key!r} in the folder {self.root}") from None
        except OSError as exc:
            raise DownstreamError(f"cannot read {key!r} in the folder {self.root}: {exc.strerror}") from None

    def delete(self, key: str) -> None:
        try:
            self.path_of(key).unlink(missing_ok=True)
        except OSError as exc:
            raise DownstreamError(f"cannot delete {key!r} in the folder {self.root}: {exc.strerror}") from None

    def _write(self, key: str, write: Callable[[Path], object]) -> None:
        """Write through a temporary file and a rename, so readers never see half a file."""
        path = self.path_of(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f".tmp-{os.getpid()}-{threading.get_ident()}-{path.name}")
        try:
            write(temp)
            os.replace(temp, path)
        except OSError as exc:
            temp.unlink(missing_ok=True)
            raise DownstreamError(f"cannot write {path}: {exc.strerror}") from None


def _info(key: str, stat: os.stat_result) -> ObjectInfo:
    return ObjectInfo(
        key=key,
        size=stat.st_size,
        etag=local_etag(stat),
        last_modified=datetime.fromtimestamp(stat.st_mtime, tz=UTC),
    )
