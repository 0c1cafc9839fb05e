"""Turn a configured location into an object store plus the key prefix inside it."""

from __future__ import annotations

from cloudsql_cos_ts.settings.datasource import Credentials
from cloudsql_cos_ts.settings.locations import CosLocation, Location
from cloudsql_cos_ts.storage.base import ObjectStore
from cloudsql_cos_ts.storage.cos import MAX_ATTEMPTS, PROBE_ATTEMPTS, CosStore
from cloudsql_cos_ts.storage.local import LocalStore


def open_store(
    location: Location, credentials: Credentials, *, attempts: int = MAX_ATTEMPTS
) -> tuple[ObjectStore, str]:
    """The store holding ``location`` and the key prefix of the location inside it ("" or ends with /)."""
    if isinstance(location, CosLocation):
        return CosStore(location.endpoint, location.bucket, credentials, attempts), location.prefix
    return LocalStore(location.path), ""


def probe_store(location: Location, credentials: Credentials) -> tuple[ObjectStore, str]:
    """:func:`open_store` for Save & test: each request is tried once (``cos.PROBE_ATTEMPTS``)."""
    return open_store(location, credentials, attempts=PROBE_ATTEMPTS)
