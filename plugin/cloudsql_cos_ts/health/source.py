"""Health stage "source": is there data where the source points, laid out as the engine expects?

A full listing of a flow-log bucket can take minutes, so the stage walks down one folder level per
call: at each vNIC level it follows the first folder, at each time level (year, month, day, hour,
stream) the newest one. That is about fifteen list calls whatever the bucket's size, and it ends at
the newest objects of one vNIC, which the scan stage then reads.
"""

from __future__ import annotations

from dataclasses import dataclass

from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.flowlogs.layout import PARTITION_NAMES, ROOT, TIME_LEVELS, parse_key
from cloudsql_cos_ts.flowlogs.v0 import holds_v0, v0_not_supported
from cloudsql_cos_ts.health.stages import StageWarning
from cloudsql_cos_ts.settings.datasource import DatasourceSettings
from cloudsql_cos_ts.settings.locations import LocalLocation, Location
from cloudsql_cos_ts.storage.base import ObjectInfo, ObjectStore
from cloudsql_cos_ts.storage.factory import probe_store

EXPECTED_LAYOUT = (
    "ibm_vpc_flowlogs_v1/account=…/region=…/vpc-id=…/subnet-id=…/endpoint-type=…/instance-id=…/vnic-id=…/"
    "record-type=…/year=YYYY/month=MM/day=DD/hour=HH/stream-id=…/NNNNNNNN.gz"
)
_NEWEST_FIRST_LEVELS = frozenset({*TIME_LEVELS, "stream-id"})
_FLOW_LOG_LEVELS = frozenset({ROOT, *PARTITION_NAMES})
_MAX_DEPTH = len(PARTITION_NAMES) + 2


@dataclass
class SourceProbe:
    """What the source stage found: the store, and the newest object to scan (None when empty)."""

    store: ObjectStore
    newest: ObjectInfo | None = None
    objects_in_folder: int = 0
    list_calls: int = 0
    path: tuple[str, ...] = ()  # the folder names followed, for the detail line


def probe_source(settings: DatasourceSettings) -> SourceProbe:
    """Find the newest object below the source; warns when there is none or the layout is wrong."""
    if settings.source is None:
        raise StageWarning("no source configured: $__source, FLOW and FLOW_FLAT are unavailable")
    _refuse_missing_folder(settings.source)
    store, prefix = probe_store(settings.source, settings.credentials)
    flowlogs = settings.source_format == "flowlogs"
    probe = SourceProbe(store)
    folder = prefix
    for _ in range(_MAX_DEPTH):
        listing = store.list(folder, "/")
        probe.list_calls += 1
        if not listing.prefixes:
            if listing.objects:
                probe.newest = max(listing.objects, key=lambda o: (o.last_modified, o.key))
                probe.objects_in_folder = len(listing.objects)
            break
        chosen = _next_folder(listing.prefixes, flowlogs)
        if chosen is None:
            raise StageWarning(_wrong_layout(settings.source, listing.prefixes))
        probe.path += (_segment(chosen),)
        folder = chosen
    if probe.newest is None:
        raise StageWarning(_empty(settings.source, flowlogs))
    if flowlogs and parse_key(probe.newest.key) is None:
        raise StageWarning(_wrong_layout(settings.source, [probe.newest.key]))
    return probe


def describe_probe(probe: SourceProbe) -> str:
    assert probe.newest is not None
    hour = next((p for p in probe.path if p.startswith("hour=")), None)
    folder = "/".join(p for p in probe.path if p.partition("=")[0] in _NEWEST_FIRST_LEVELS)
    where = f"newest folder {folder}" if hour else f"folder {'/'.join(probe.path) or '(top)'}"
    return (
        f"{where}: {probe.objects_in_folder} object(s), newest written "
        f"{probe.newest.last_modified:%Y-%m-%d %H:%M:%S} UTC ({probe.list_calls} list calls)"
    )


def _refuse_missing_folder(location: Location) -> None:
    if isinstance(location, LocalLocation) and not location.path.is_dir():
        raise BadRequest(
            f"the source folder {location.path} does not exist or is not a folder: fix the path (it must be "
            "readable by the Grafana server's user)"
        )


def _segment(prefix: str) -> str:
    return prefix.rstrip("/").rpartition("/")[2]


def _next_folder(prefixes: list[str], flowlogs: bool) -> str | None:
    """The folder to descend into: the newest at time levels, else the first; None if none fits."""
    if not flowlogs:
        return sorted(prefixes)[0]
    fitting = [p for p in prefixes if _segment(p).partition("=")[0] in _FLOW_LOG_LEVELS]
    if not fitting:
        return None
    level = _segment(fitting[0]).partition("=")[0]
    if level in _NEWEST_FIRST_LEVELS:
        return max(fitting, key=_time_value)
    return sorted(fitting)[0]


def _time_value(prefix: str) -> tuple[int, str]:
    value = _segment(prefix).partition("=")[2]
    return (int(value), value) if value.isdigit() else (-1, value)


def _wrong_layout(source: Location, found: list[str]) -> str:
    if holds_v0([source.describe(), *found]):
        return v0_not_supported(f"the source {source.describe()}")
    examples = ", ".join(repr(f) for f in sorted(found)[:3])
    return (
        f"no flow-log key layout below {source.describe()} (found {examples}): point the source at the "
        f"bucket prefix that holds keys like {EXPECTED_LAYOUT}, or set the source format"
    )


def _empty(source: Location, flowlogs: bool) -> str:
    if not flowlogs:
        return f"no objects below {source.describe()} yet"
    return (
        f"no flow logs below {source.describe()} yet (a new collector writes its first objects within about "
        f"ten minutes); expected keys like {EXPECTED_LAYOUT}"
    )
