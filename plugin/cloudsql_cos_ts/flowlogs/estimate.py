"""What a query would read, worked out from the bucket listing alone: the estimate before running.

Object storage has no planner to ask, but a flow-log query reads exactly the objects pruning keeps
(``pruning.py``), and the listing gives each one's size. So the estimate is not a guess: it is the
same listing and the same pruning the query then makes (shared through the same listing cache),
stopped before anything is downloaded. Of those objects, the ones the ingest cache already holds
are counted apart (the query copies their rows instead of downloading them). What a listing cannot
tell (files of another format read whole by an engine's own reader, a service that lists for
itself) makes the estimate inexact, and its notes say why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from cloudsql_cos_ts.flowlogs.decode import Manifest, object_id
from cloudsql_cos_ts.flowlogs.pruning import PruneResult


@dataclass(frozen=True)
class SourceEstimate:
    """Objects and bytes a query would read after pruning, and how much of it the ingest cache holds."""

    objects: int = 0
    bytes: int = 0
    listed_objects: int = 0
    partitions_pruned: int = 0  # hour partitions listed whose objects all lie before the range
    cached_objects: int = 0
    cached_bytes: int = 0
    oldest: datetime | None = None  # the earliest LastModified of the objects read
    newest: datetime | None = None
    exact: bool = True
    notes: tuple[str, ...] = ()

    def plus(self, other: SourceEstimate) -> SourceEstimate:
        """Two sources of one query (the configured one, ``cos://`` locations) read together."""
        return SourceEstimate(
            objects=self.objects + other.objects,
            bytes=self.bytes + other.bytes,
            listed_objects=self.listed_objects + other.listed_objects,
            partitions_pruned=self.partitions_pruned + other.partitions_pruned,
            cached_objects=self.cached_objects + other.cached_objects,
            cached_bytes=self.cached_bytes + other.cached_bytes,
            oldest=_extreme(min, self.oldest, other.oldest),
            newest=_extreme(max, self.newest, other.newest),
            exact=self.exact and other.exact,
            notes=tuple(dict.fromkeys((*self.notes, *other.notes))),
        )


def inexact(note: str) -> SourceEstimate:
    """A part of a query whose reads no listing tells: nothing counted, and why."""
    return SourceEstimate(exact=False, notes=(note,))


def plain_files(fmt: str, engine: str) -> SourceEstimate:
    """``$__source`` over plain files: the engine's own reader reads them whole, so no listing tells how much."""
    return inexact(
        f"{fmt.upper()} files are read whole by {engine}'s own reader: the listing does not say how much "
        "of them the query reads"
    )


def estimate_pruned(pruned: PruneResult, held: Manifest) -> SourceEstimate:
    """The figures of a pruned listing; ``held`` are the (key, ETag) ids the ingest cache holds rows of.

    Hour by hour, with the id sets the listing computed once: the editor asks on every edit, and a
    week of ten vNICs is 20,000 objects.
    """
    objects = size = cached_objects = cached_bytes = 0
    oldest: datetime | None = None
    newest: datetime | None = None
    for hour, needed in pruned.needed.items():
        ids = pruned.needed_ids[hour]
        hour_bytes = sum(obj.size for obj in needed)
        objects, size = objects + len(needed), size + hour_bytes
        held_here = ids & held
        if len(held_here) == len(ids):
            cached_objects, cached_bytes = cached_objects + len(needed), cached_bytes + hour_bytes
        elif held_here:
            some = [obj for obj in needed if object_id(obj.key, obj.etag) in held_here]
            cached_objects, cached_bytes = cached_objects + len(some), cached_bytes + sum(obj.size for obj in some)
        moments = [obj.last_modified for obj in needed]
        oldest, newest = _extreme(min, oldest, min(moments)), _extreme(max, newest, max(moments))
    return SourceEstimate(
        objects=objects,
        bytes=size,
        listed_objects=sum(len(listed) for listed in pruned.listed.values()),
        partitions_pruned=len(pruned.listed) - len(pruned.needed),
        cached_objects=cached_objects,
        cached_bytes=cached_bytes,
        oldest=oldest,
        newest=newest,
    )


def _extreme(pick: Callable[[list[datetime]], datetime], *moments: datetime | None) -> datetime | None:
    known = [moment for moment in moments if moment is not None]
    return pick(known) if known else None
