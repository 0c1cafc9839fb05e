"""Moving lake parts between the lake's store and local files, streamed when the store can.

A part is a whole day of Parquet; compaction uploads a file written beside the ingest cache's entry, and a reader
downloads into the ingest cache's folder, so neither needs the part in memory when the store moves
files itself (``storage.base.FileTransfer``). Other stores get and put bytes.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from cloudsql_cos_ts.storage.base import FileTransfer, ObjectStore

_CHUNK = 1 << 20


def upload(store: ObjectStore, key: str, path: Path) -> None:
    if isinstance(store, FileTransfer):
        store.put_file(key, path)
    else:
        store.put(key, path.read_bytes())


def download(store: ObjectStore, key: str, path: Path) -> None:
    if isinstance(store, FileTransfer):
        store.get_file(key, path)
    else:
        path.write_bytes(store.get(key)[0])


def file_sha256(path: Path) -> str:
    """The file's SHA-256, read a chunk at a time."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
