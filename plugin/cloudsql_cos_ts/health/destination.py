"""Health stage "destination": can ``$__dest`` results be written where the destination points?

A tiny probe object is written and removed again, which proves write access the way a result write
needs it. The object-store interface has no delete (queries never delete), so removal is done here
for the two kinds of store; a probe that cannot be removed is reported, not hidden.
"""

from __future__ import annotations

import uuid

from ibm_botocore.exceptions import BotoCoreError, ClientError

from cloudsql_cos_ts.errors import DownstreamError
from cloudsql_cos_ts.settings.datasource import Credentials, DatasourceSettings
from cloudsql_cos_ts.settings.locations import LocalLocation
from cloudsql_cos_ts.storage.base import ObjectStore
from cloudsql_cos_ts.storage.cos import CosStore, client_for
from cloudsql_cos_ts.storage.factory import probe_store
from cloudsql_cos_ts.storage.local import LocalStore

PROBE_NAME = "_cloudsql-cos-ts-health-probe"


def check_destination(settings: DatasourceSettings) -> str:
    destination = settings.destination
    if destination is None:
        return "not configured ($__dest is unavailable until a destination is set)"
    store, prefix = probe_store(destination, settings.credentials)
    key = f"{prefix}{PROBE_NAME}-{uuid.uuid4().hex[:12]}"
    local = isinstance(destination, LocalLocation)
    try:
        store.put(key, b"written by the datasource's health check; safe to delete\n")
    except (OSError, DownstreamError) as exc:
        if not local and isinstance(exc, DownstreamError):
            raise  # the COS layer's message already names the bucket and the fix
        reason = exc.strerror if isinstance(exc, OSError) else exc.message.rpartition(": ")[2]
        raise DownstreamError(
            f"cannot write into the destination folder {destination.describe()} ({reason}): give the "
            "Grafana server's user write access to it or choose another folder"
        ) from None
    kind = "folder" if local else "prefix"
    if _remove(store, key, settings.credentials):
        return f"wrote and removed a probe object in the {kind} {destination.describe()}"
    return f"wrote a probe object in the {kind} {destination.describe()}, but could not remove {key}: delete it"


def _remove(store: ObjectStore, key: str, credentials: Credentials) -> bool:
    try:
        if isinstance(store, LocalStore):
            store.path_of(key).unlink(missing_ok=True)
        elif isinstance(store, CosStore):
            client_for(store.endpoint, credentials).delete_object(Bucket=store.bucket, Key=key)
        else:
            return False
    except (OSError, ClientError, BotoCoreError):
        return False
    return True
