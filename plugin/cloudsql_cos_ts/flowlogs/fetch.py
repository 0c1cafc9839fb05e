"""Bringing listed flow-log objects' bytes into memory, checking for cancellation between objects.

Two ways, because the costs differ by two orders of magnitude:

* **object stores** (COS): parallel GETs, since each costs a network round trip;
* **local folders**: ``LocalStore.get`` resolves every path to prove it stays inside the root, which
  for 12 objects per hour folder and deep IBM keys cost ~2.5 s per 20k objects, ten times the reads
  themselves. Here each *folder* is proven once through ``LocalStore.folder_path`` and opened, and the
  files are opened relative to it with ``O_NOFOLLOW``: a file name has no ``/``, and a symbolic link
  in its place is refused, so no file outside the proven folder can be reached — the same guarantee.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.errors import DownstreamError, DownstreamTimeout, NotFound, QueryCancelled
from cloudsql_cos_ts.flowlogs.decode import SourceObject
from cloudsql_cos_ts.storage.base import ObjectStore
from cloudsql_cos_ts.storage.local import LocalStore, local_etag

FETCH_WORKERS = 8
Fetched = tuple[SourceObject, bytes]  # the object (ETag as read) and its bytes


def raise_if_cancelled(cancel: CancelToken) -> None:
    """Turn a fired token into the error its reason calls for."""
    if cancel.is_cancelled():
        if cancel.reason == "timeout":
            raise DownstreamTimeout("the query ran past its time limit while reading flow-log objects")
        raise QueryCancelled("the query was cancelled while reading flow-log objects")


def fetch_objects(store: ObjectStore, objects: list[SourceObject], cancel: CancelToken) -> Iterator[Fetched]:
    """Each object with its bytes, in no particular order; stops promptly when ``cancel`` fires."""
    if not objects:
        return iter(())
    raise_if_cancelled(cancel)
    if isinstance(store, LocalStore):
        return _read_local(store, objects, cancel)
    return _download(store, objects, cancel)


def _download(store: ObjectStore, objects: list[SourceObject], cancel: CancelToken) -> Iterator[Fetched]:
    """Parallel GETs (the waiting releases the GIL), at most ``2 * FETCH_WORKERS`` in flight."""
    with ThreadPoolExecutor(max_workers=min(FETCH_WORKERS, len(objects))) as pool:
        pending: dict[Future[tuple[bytes, str]], SourceObject] = {}
        queue = list(reversed(objects))
        try:
            while queue or pending:
                while queue and len(pending) < FETCH_WORKERS * 2:
                    obj = queue.pop()
                    pending[pool.submit(store.get, obj.key)] = obj
                done, _ = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                raise_if_cancelled(cancel)
                for future in done:
                    obj = pending.pop(future)
                    data, etag = future.result()
                    _check_complete(obj, etag, data)
                    yield _with_etag(obj, etag), data
        finally:
            for future in pending:
                future.cancel()


def _check_complete(obj: SourceObject, etag: str, data: bytes) -> None:
    """A body shorter than the listed size of the same version was cut in transit, not damaged at rest.

    It must not be decoded: the ingest cache would record that version as damaged for good, while
    reading it again would give the whole object.
    """
    if etag == obj.etag and len(data) != obj.size:
        raise DownstreamError(
            f"reading {obj.key!r} stopped after {len(data)} of {obj.size} bytes; try again (the object is "
            "not recorded as read)"
        )


def _read_local(store: LocalStore, objects: list[SourceObject], cancel: CancelToken) -> Iterator[Fetched]:
    folders: dict[str, int] = {}
    resolved: dict[str, str] = {}
    try:
        for obj in objects:
            raise_if_cancelled(cancel)
            folder, _, name = obj.key.rpartition("/")
            if name in ("", ".", ".."):
                data, etag = store.get(obj.key)  # refuses the key with the store's own message
                yield _with_etag(obj, etag), data
                continue
            if folder not in folders:
                folders[folder] = os.open(store.folder_path(folder, resolved), os.O_RDONLY | os.O_DIRECTORY)
            yield _read_in_folder(store, obj, folders[folder], name)
    finally:
        for descriptor in folders.values():
            os.close(descriptor)


def _read_in_folder(store: LocalStore, obj: SourceObject, folder: int, name: str) -> Fetched:
    try:
        descriptor = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=folder)
    except FileNotFoundError:
        raise NotFound(f"no file {obj.key!r} in the folder {store.root}") from None
    except OSError as exc:
        raise DownstreamError(f"cannot read {obj.key!r} in the folder {store.root}: {exc.strerror}") from None
    try:
        stat = os.fstat(descriptor)
        return _with_etag(obj, local_etag(stat)), _read_all(descriptor, stat.st_size)
    finally:
        os.close(descriptor)


def _read_all(descriptor: int, size: int) -> bytes:
    """The file's bytes with plain ``read`` calls: a file object per flow-log object cost more than the read.

    Reads until the end, so a file that grew since ``fstat`` is still read whole.
    """
    parts: list[bytes] = []
    while chunk := os.read(descriptor, size + 1 if not parts else 1 << 20):
        parts.append(chunk)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def _with_etag(obj: SourceObject, etag: str) -> SourceObject:
    return obj if etag == obj.etag else SourceObject(obj.key, etag, obj.last_modified, obj.size, obj.parsed)
