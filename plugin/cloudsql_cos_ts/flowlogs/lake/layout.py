"""Where the flow lake keeps a source's days: one folder per day, immutable parts, one manifest each.

``<lake>/v1/source=<id>/date=YYYY-MM-DD/part-<objects>-<content>.parquet`` and, beside the parts,
``_manifest.json`` naming the current one. ``<id>`` names the raw source (bucket and prefix, or
folder) and not the endpoint it is reached through, so a plugin on a private endpoint and a
compactor on the public one share the same parts.

A part's name carries the hash of its sorted (key, ETag) list, as an ingest entry's does, and the
start of its content's SHA-256: two compactors of the same day write their rows in download order,
so their files differ in bytes, and a name shared by both would let one writer's manifest describe
the other's file. With the content in the name each manifest names exactly the bytes it checked,
and whichever manifest lands last wins with a part that matches it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from cloudsql_cos_ts.flowlogs.decode import Manifest
from cloudsql_cos_ts.flowlogs.ingest import manifest_hash
from cloudsql_cos_ts.settings.datasource import Credentials
from cloudsql_cos_ts.settings.locations import CosLocation, Location
from cloudsql_cos_ts.storage.base import ObjectStore
from cloudsql_cos_ts.storage.factory import open_store

LAKE_VERSION = "v1"
MANIFEST_NAME = "_manifest.json"
PART_PREFIX = "part-"
_CONTENT_DIGITS = 16
_DAY_FOLDER = "date="


def source_id(source: Location) -> str:
    """A short, stable name of a raw source: its bucket and prefix, or its folder."""
    if isinstance(source, CosLocation):
        identity = f"cos\0{source.bucket}\0{source.prefix}"
    else:
        identity = f"file\0{source.path}"
    return hashlib.sha256(identity.encode()).hexdigest()[:20]


def part_name(objects: Manifest, content_sha256: str) -> str:
    """The file name of a part holding ``objects`` whose bytes hash to ``content_sha256``."""
    return f"{PART_PREFIX}{manifest_hash(objects)}-{content_sha256[:_CONTENT_DIGITS]}.parquet"


@dataclass(frozen=True)
class LakeSource:
    """One raw source's days in a lake: the store holding the lake and the source's folder in it."""

    store: ObjectStore
    root: str  # the lake location's key prefix in ``store`` ("" or ends with "/")
    source: str  # source_id() of the raw source
    described: str = ""  # the raw source as the user wrote it (kept in manifests for people reading them)

    @property
    def prefix(self) -> str:
        """``<lake>/v1/source=<id>/``: every day of this source lies below it."""
        return f"{self.root}{LAKE_VERSION}/source={self.source}/"

    def day_prefix(self, day: date) -> str:
        return f"{self.prefix}{_DAY_FOLDER}{day.isoformat()}/"

    def day_of(self, folder: str) -> date | None:
        """The day whose folder ``folder`` (a delimiter listing's prefix below :attr:`prefix`) is, if it is one."""
        name = folder.removeprefix(self.prefix).removesuffix("/")
        if not name.startswith(_DAY_FOLDER):
            return None
        try:
            return date.fromisoformat(name.removeprefix(_DAY_FOLDER))
        except ValueError:
            return None

    def manifest_key(self, day: date) -> str:
        return self.day_prefix(day) + MANIFEST_NAME

    def part_key(self, day: date, name: str) -> str:
        return self.day_prefix(day) + name


def open_lake(lake: Location, source: Location, credentials: Credentials) -> LakeSource:
    """The lake at ``lake`` as it holds ``source``'s days (the same credentials reach both)."""
    store, root = open_store(lake, credentials)
    return LakeSource(store, root, source_id(source), source.describe())
