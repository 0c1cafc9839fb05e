"""Which datasource a request is for, across Grafana's orgs, and which version of its settings.

A Grafana datasource ``uid`` is unique only within its org: two orgs may both provision
``vpc-flow-logs`` with different buckets and credentials, and Grafana stores ``lastUpdatedMS``
with one-second precision, so provisioning several orgs in one second gives them the same version
too. Anything the plugin keeps per datasource — live instances, prepared SQL, cached results,
replayed answers — is therefore keyed by the org, Grafana's numeric datasource id *and* the uid,
and versioned by ``lastUpdatedMS`` together with a digest of the settings themselves (which also
separates two edits within one second, and the CLI's datasources, which have no Grafana version).

The digest covers the raw ``jsonData`` and every secure field. It is one SHA-256 over all of them,
so no secret's value, nor a hash of a secret alone, is ever stored or logged: a changed API key
gives new keys, and nothing in a key gives the key back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass


def settings_digest(json_data: bytes, secure: Mapping[str, str]) -> str:
    """A hex digest of a datasource's raw settings, secrets included but not recoverable."""
    digest = hashlib.sha256(json_data)
    for key in sorted(secure):
        digest.update(b"\0")
        digest.update(key.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
        digest.update(secure[key].encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


@dataclass(frozen=True)
class DatasourceIdentity:
    """One configured datasource at one version of its settings."""

    org_id: int
    datasource_id: int
    uid: str
    last_updated_ms: int
    digest: str  # settings_digest of the raw settings this version was built from
