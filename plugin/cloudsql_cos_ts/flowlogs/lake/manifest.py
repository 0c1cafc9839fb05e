"""A lake partition's manifest: which part is current, what it must look like, and which objects it holds.

The manifest is the only thing a reader trusts: a part without one (a compactor died after
uploading it) is never read, and a part whose size, checksum or row count differs from its
manifest is not used. It is written last, with one PUT (atomic on S3; a rename in a local folder),
after the part it names, so a reader sees either the previous partition or the new one, never half.

The (key, ETag) list is grouped by stream folder: keys of a folder share all but their last
segment, and IBM's keys are long, so this keeps the one small GET a reader makes small. Each object
also carries its size and LastModified, so that a reader can take the manifest of a long-settled
day as that day's listing (``listing``) instead of listing the raw objects again; a manifest
written before those were kept has no listing and is only used as the day's part.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cloudsql_cos_ts.errors import NotFound
from cloudsql_cos_ts.flowlogs.decode import Manifest, object_id
from cloudsql_cos_ts.flowlogs.lake.layout import PART_PREFIX, LakeSource
from cloudsql_cos_ts.storage.base import ObjectInfo

FORMAT = "cloudsql-cos-ts flow lake partition"
FORMAT_VERSION = 1
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class LakeDamaged(Exception):
    """A lake partition that cannot be used as its manifest says (unreadable manifest, missing or
    mismatching part); the reader falls back to the raw objects and says why."""


@dataclass(frozen=True)
class LakeManifest:
    """What one day's partition holds: its current part and the raw objects' versions in it."""

    day: date
    part: str  # file name of the current part in the day's folder
    rows: int
    size: int  # bytes of the part file
    sha256: str  # of the part file's bytes
    objects: Manifest  # "<key>\0<ETag>" of every raw object whose rows the part holds
    damaged: frozenset[str] = frozenset()  # keys of objects the part holds only as damaged marker rows
    source: str = ""  # the raw source as configured (for people reading the manifest)
    written: datetime | None = None
    listing: tuple[ObjectInfo, ...] = ()  # every object's listing details, or () when the manifest lacks them

    @property
    def lists_objects(self) -> bool:
        """Whether the manifest holds every object's size and LastModified (it can stand in for a listing)."""
        return len(self.listing) == len(self.objects) > 0

    def damaged_ids(self) -> Manifest:
        """The damaged objects as (key, ETag) ids, the way an ingest entry records them."""
        return frozenset(item for item in self.objects if item.partition("\0")[0] in self.damaged)

    def to_json(self) -> bytes:
        details = {object_id(info.key, info.etag): info for info in self.listing}
        folders: dict[str, list[list[str | int]]] = {}
        for item in sorted(self.objects):
            key, _, etag = item.partition("\0")
            folder, _, name = key.rpartition("/")
            listed = details.get(item)
            extra = [] if listed is None else [listed.size, (listed.last_modified - _EPOCH) // _MICROSECOND]
            folders.setdefault(folder + "/" if folder else "", []).append([name, etag, *extra])
        document = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "source": self.source,
            "date": self.day.isoformat(),
            "part": self.part,
            "rows": self.rows,
            "bytes": self.size,
            "sha256": self.sha256,
            "objectCount": len(self.objects),
            "objects": folders,
            "damaged": sorted(self.damaged),
            "written": (self.written or datetime.now(UTC)).isoformat(),
        }
        return json.dumps(document, separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, data: bytes, day: date) -> LakeManifest:
        """The manifest in ``data`` for ``day``; ``LakeDamaged`` when it is not one, or not that day's."""
        try:
            document = json.loads(data)
            manifest = cls._parse(document)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise LakeDamaged(f"the manifest of {day} is not readable ({type(exc).__name__})") from None
        if manifest.day != day:
            raise LakeDamaged(f"the manifest of {day} describes {manifest.day}")
        return manifest

    @classmethod
    def _parse(cls, document: dict[str, Any]) -> LakeManifest:
        if document["format"] != FORMAT or document["version"] != FORMAT_VERSION:
            raise ValueError("unknown manifest format")
        part = str(document["part"])
        if not part.startswith(PART_PREFIX) or "/" in part:
            raise ValueError("bad part name")
        objects, listing = set(), []
        for folder, items in document["objects"].items():
            for name, etag, *details in items:
                key = folder + str(name)
                objects.add(object_id(key, str(etag)))
                if details:
                    size, modified_us = details
                    listing.append(ObjectInfo(key, int(size), str(etag), _EPOCH + int(modified_us) * _MICROSECOND))
        if len(objects) != int(document["objectCount"]):
            raise ValueError("object count mismatch")
        return cls(
            day=date.fromisoformat(document["date"]),
            part=part,
            rows=int(document["rows"]),
            size=int(document["bytes"]),
            sha256=str(document["sha256"]),
            objects=frozenset(objects),
            damaged=frozenset(str(key) for key in document["damaged"]),
            source=str(document.get("source", "")),
            written=datetime.fromisoformat(document["written"]),
            listing=tuple(listing),
        )


def read_manifest(lake: LakeSource, day: date) -> LakeManifest | None:
    """The day's manifest, None when the day has none yet; ``LakeDamaged`` when it is unreadable."""
    try:
        data, _ = lake.store.get(lake.manifest_key(day))
    except NotFound:
        return None
    return LakeManifest.from_json(data, day)


def write_manifest(lake: LakeSource, manifest: LakeManifest) -> None:
    """Publish ``manifest`` (its part must be uploaded already): one PUT, so readers switch at once."""
    lake.store.put(lake.manifest_key(manifest.day), manifest.to_json())


def read_manifests(lake: LakeSource, days: Iterable[date]) -> dict[date, LakeManifest]:
    """The manifests of those ``days`` that have a readable one (damaged ones are left out)."""
    found = {}
    for day in days:
        try:
            manifest = read_manifest(lake, day)
        except LakeDamaged:
            continue
        if manifest is not None:
            found[day] = manifest
    return found
