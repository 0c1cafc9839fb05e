"""Superseded lake parts deleted, once no reader can still be about to download them.

A day compacted again (a late or re-uploaded object) gets a new part, and its manifest names only
that one; the old part would stay in the bucket for ever. It cannot go at once: a reader may have
read the previous manifest a moment ago (readers share a manifest for minutes) and be about to
download the part it names, and a compactor working on the same day may have uploaded a part whose
manifest it has not published yet. So a part is deleted only when the current manifest does not
name it, that manifest was written more than ``grace`` ago (every reader has re-read it since), and
the part itself is older than ``grace`` (no compactor is still about to publish it). A reader that
loses the race anyway finds the part missing and reads the day from the raw objects with a notice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from cloudsql_cos_ts.flowlogs.lake.layout import PART_PREFIX, LakeSource
from cloudsql_cos_ts.flowlogs.lake.manifest import LakeManifest
from cloudsql_cos_ts.storage.base import Deletion

GRACE = timedelta(hours=1)  # far beyond a reader's manifest sharing and a part's download or upload


def sweep_day(lake: LakeSource, current: LakeManifest, now: datetime, grace: timedelta = GRACE) -> list[str]:
    """Delete the day's parts that ``current`` (its manifest, just read) superseded more than ``grace`` ago.

    Returns the deleted keys; nothing when the store cannot delete (a lifecycle rule is then the way).
    """
    if not isinstance(lake.store, Deletion) or current.written is None or now - current.written < grace:
        return []
    named = lake.part_key(current.day, current.part)
    stale = [
        info.key
        for info in lake.store.list(lake.day_prefix(current.day)).objects
        if info.key.rpartition("/")[2].startswith(PART_PREFIX)
        and info.key != named
        and now - info.last_modified >= grace
    ]
    for key in stale:
        lake.store.delete(key)
    return stale
