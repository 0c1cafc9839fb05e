"""Turn a configured location into an object store plus the key prefix inside it.

The COS client (``ibm_boto3``) is imported only for a COS location: a datasource over a local folder
never loads it.
"""

from __future__ import annotations

from cloudsql_cos_ts.settings.datasource import Credentials
from cloudsql_cos_ts.settings.locations import CosLocation, Location
from cloudsql_cos_ts.storage.base import ObjectStore
from cloudsql_cos_ts.storage.local import LocalStore


def open_store(location: Location, credentials: Credentials, *, probe: bool = False) -> tuple[ObjectStore, str]:
    """The store holding ``location`` and the key prefix of the location inside it ("" or ends with /).

    ``probe``: for Save & test, each COS request is tried once (``cos.PROBE_ATTEMPTS``).
    """
    if isinstance(location, CosLocation):
        from cloudsql_cos_ts.storage.cos import MAX_ATTEMPTS, PROBE_ATTEMPTS, CosStore

        attempts = PROBE_ATTEMPTS if probe else MAX_ATTEMPTS
        return CosStore(location.endpoint, location.bucket, credentials, attempts), location.prefix
    return LocalStore(location.path), ""


def probe_store(location: Location, credentials: Credentials) -> tuple[ObjectStore, str]:
    """:func:`open_store` for Save & test."""
    return open_store(location, credentials, probe=True)
