"""The embedded engine's reader: a settled day's entry from its lake part, a donor, or the raw objects."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.engines.duckdb.source import FlowLogSource
from cloudsql_cos_ts.flowlogs.decode import object_ids
from cloudsql_cos_ts.flowlogs.groups import day_group
from cloudsql_cos_ts.flowlogs.ingest import IngestStats
from cloudsql_cos_ts.flowlogs.lake.compact import list_day
from cloudsql_cos_ts.flowlogs.lake.manifest import LakeDamaged, LakeManifest, read_manifest
from cloudsql_cos_ts.flowlogs.lake.read import LakeReader
from cloudsql_cos_ts.flowlogs.scan import SourceScan
from cloudsql_cos_ts.flowlogs.schema import FLOW_FLAT
from cloudsql_cos_ts.timerange import TimeRange
from tests.flowlogs.lake.conftest import DAY, DAY_START, LakeWorld, sorted_rows
from tests.flowlogs.lake.test_lake_compact import _deleted, _late, _reuploaded


def read_day(world: LakeWorld, cache: str = "reader") -> tuple[Path, str | None, IngestStats]:
    """The day's entry as the DuckDB source asks for it, with a fresh reader and ingest cache."""
    objects = list_day(world.raw, DAY, CancelToken())
    ingest, stats = world.cache(cache), IngestStats()
    group_dir = ingest.group_dir(world.raw.store, "", day_group(DAY_START))
    path, notice = LakeReader(world.lake).day_entry(
        ingest,
        world.raw.store,
        group_dir,
        day=DAY,
        listed=objects,
        needed=objects,
        donors=[],
        cancel=CancelToken(),
        stats=stats,
    )
    return path, notice, stats


def raw_rows(world: LakeWorld, path: Path) -> bool:
    """Whether the entry at ``path`` holds the rows a build from the raw objects alone holds."""
    scratch, notice, _ = read_day(LakeWorld(world.source, world.tmp / "no-lake", world.tmp), cache="scratch")
    return notice is None and sorted_rows(path).equals(sorted_rows(scratch))


def compacted_rows(world: LakeWorld, path: Path) -> bool:
    """Whether the entry at ``path`` holds the rows the compaction built from the raw objects (source unchanged)."""
    cache = world.cache("cache")  # LakeWorld.compact's
    built = cache.current(cache.group_dir(world.raw.store, "", day_group(DAY_START)))
    return built is not None and sorted_rows(path).equals(sorted_rows(built.path))


def test_an_exact_partition_is_the_days_entry_in_one_download(world: LakeWorld) -> None:
    compacted = world.compact()
    path, notice, stats = read_day(world)
    assert notice is None and (stats.lake_parts, stats.objects_read) == (1, 0)
    assert stats.lake_bytes == compacted.size and path.stat().st_size == compacted.size
    assert compacted_rows(world, path)


def test_panels_missing_the_same_day_at_once_download_its_part_once(world: LakeWorld) -> None:
    """A dashboard's panels ask for the same settled day together: one downloads, the others wait for its entry."""
    world.compact()
    readers = 4
    with ThreadPoolExecutor(readers) as pool:
        results = list(pool.map(lambda _: read_day(world), range(readers)))
    assert sum(stats.lake_parts for _, _, stats in results) == 1
    assert len({path for path, _, _ in results}) == 1 and all(notice is None for _, notice, _ in results)
    assert all(stats.objects_read == 0 for _, _, stats in results)


@pytest.mark.parametrize(
    ("change", "downloads"), [(_late, 1), (_reuploaded, 1), (_deleted, 0)], ids=["late", "re-uploaded", "deleted"]
)
def test_a_stale_partition_donates_its_rows_still_valid(
    world: LakeWorld, change: Callable[[Path, Path], None], downloads: int
) -> None:
    world.compact()
    change(world.source, sorted(world.source.rglob("day=06/hour=07/*/*.gz"))[0])
    path, notice, stats = read_day(world)
    assert notice is None and (stats.lake_parts, stats.objects_read) == (1, downloads)
    assert raw_rows(world, path)


def _drop_part(world: LakeWorld, manifest: LakeManifest) -> None:
    world.lake.store.path_of(world.lake.part_key(DAY, manifest.part)).unlink()


def _flip_a_byte(world: LakeWorld, manifest: LakeManifest) -> None:
    path = world.lake.store.path_of(world.lake.part_key(DAY, manifest.part))
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _truncate(world: LakeWorld, manifest: LakeManifest) -> None:
    path = world.lake.store.path_of(world.lake.part_key(DAY, manifest.part))
    path.write_bytes(path.read_bytes()[:-10])


def _garble_manifest(world: LakeWorld, manifest: LakeManifest) -> None:
    world.lake.store.put(world.lake.manifest_key(DAY), b'{"format": "something else"')


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (_drop_part, "missing"),
        (_flip_a_byte, "checksum"),
        (_truncate, "bytes"),
        (_garble_manifest, "not readable"),
    ],
    ids=["missing part", "flipped byte", "truncated part", "garbled manifest"],
)
def test_a_damaged_partition_falls_back_to_the_raw_objects_and_says_so(
    world: LakeWorld, damage: Callable[[LakeWorld, LakeManifest], None], reason: str
) -> None:
    world.compact()
    manifest = read_manifest(world.lake, DAY)
    assert manifest is not None
    damage(world, manifest)
    path, notice, stats = read_day(world)
    assert notice is not None and str(DAY) in notice and reason in notice
    assert stats.lake_parts == 0 and stats.objects_read == len(object_ids(list_day(world.raw, DAY, CancelToken())))
    assert compacted_rows(world, path)


def test_a_manifest_reads_back_as_written(world: LakeWorld) -> None:
    world.compact()
    manifest = read_manifest(world.lake, DAY)
    assert manifest is not None
    assert LakeManifest.from_json(manifest.to_json(), DAY) == manifest
    with pytest.raises(LakeDamaged, match="describes"):
        LakeManifest.from_json(manifest.to_json(), DAY.replace(day=7))
    assert manifest.damaged_ids() and {i.partition("\0")[0] for i in manifest.damaged_ids()} == manifest.damaged


def _cut_day_answer(world: LakeWorld, lake: LakeReader | None, cache: str) -> tuple[list[Any], dict[str, Any]]:
    """FLOW_FLAT's totals for DAY 06:00 to 23:59 (the day cut by the range: hour entries) through the DuckDB source."""
    source = FlowLogSource(world.raw.store, "", world.cache(cache), world.raw.context, lake)
    start = int((DAY_START + timedelta(hours=6)).timestamp() * 1000)
    scan = SourceScan(TimeRange(start, int((DAY_START + timedelta(days=1)).timestamp() * 1000) - 1))
    relations = source.relations(scan, frozenset({FLOW_FLAT}), CancelToken())
    sql = f"SELECT count(*), sum(bytes_from_initiator), count(DISTINCT target_ip) FROM ({relations.views[FLOW_FLAT]})"
    connection = duckdb.connect(config={"temp_directory": str(world.tmp / "duckdb")})
    try:
        return list(connection.sql(sql).fetchall()), dict(relations.stats)
    finally:
        connection.close()


def test_the_hours_of_a_day_cut_by_the_range_are_copied_from_its_part(world: LakeWorld) -> None:
    world.compact()
    raw, raw_stats = _cut_day_answer(world, None, "raw")
    lake, lake_stats = _cut_day_answer(world, LakeReader(world.lake), "lake")
    assert lake == raw and raw[0][0] > 0
    assert (lake_stats["lake_parts"], raw_stats["lake_parts"]) == (1, 0)
    assert lake_stats["entries"] == raw_stats["entries"] > 1  # hour entries, not the day's
    assert lake_stats["objects_read"] < raw_stats["objects_read"] / 10  # only the next day's first hour
