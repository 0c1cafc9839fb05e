"""The small object-store interface the flow-log code needs, whatever holds the objects.

Keys are ``/``-separated and relative to the store's root (a bucket, or a local folder); listing
with a delimiter returns "folders" as common prefixes, like S3, so prefix walks cost one call per
folder level on every kind of store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class ObjectInfo:
    """One listed object. ``etag`` changes whenever the content may have changed."""

    key: str
    size: int
    etag: str
    last_modified: datetime  # UTC


@dataclass
class Listing:
    objects: list[ObjectInfo] = field(default_factory=list)
    prefixes: list[str] = field(default_factory=list)  # common prefixes, each ending with the delimiter


class ObjectStore(Protocol):
    """What the plugin does with a bucket or folder."""

    @property
    def identity(self) -> str:
        """A stable, secret-free name of this store (cache keys, messages)."""
        ...

    def list(self, prefix: str, delimiter: str | None = None) -> Listing:
        """Every object whose key starts with ``prefix`` (with a delimiter: one folder level)."""
        ...

    def get(self, key: str) -> tuple[bytes, str]:
        """The object's bytes and ETag."""
        ...

    def head(self, key: str) -> ObjectInfo:
        """Size, ETag and modification time, or ``NotFound``."""
        ...

    def put(self, key: str, data: bytes) -> None:
        """Create or replace one object."""
        ...


@runtime_checkable
class FileTransfer(Protocol):
    """A store that moves an object to or from a local file without holding it in memory.

    Flow-lake parts are whole days of Parquet: reading them into one ``bytes`` would make memory grow with
    the source. Stores that cannot (a wrapper) are used through ``get``/``put``.
    """

    def put_file(self, key: str, path: Path) -> None:
        """Create or replace one object with the file's content."""
        ...

    def get_file(self, key: str, path: Path) -> None:
        """Write the object's content to ``path`` (``NotFound`` when there is none)."""
        ...


@runtime_checkable
class Deletion(Protocol):
    """A store that can delete objects: the flow lake removes the parts no manifest names any more.

    Queries never delete, so it is not part of ``ObjectStore``; only the lake's compactor asks for it.
    """

    def delete(self, key: str) -> None:
        """Remove one object; an object already gone is no error."""
        ...
