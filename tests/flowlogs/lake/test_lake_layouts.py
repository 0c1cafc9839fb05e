"""Lake parts keep the bucket's codec whatever the local entries use, and parts of the earlier layout still serve.

Local entries are written for warm queries (``assemble.LOCAL_CODEC``), lake parts for the bucket's bytes
(``assemble.LAKE_CODEC``). A part written before entries held the parsed capture end is a complete day all
the same: a reader takes it as the day's entry, and a rebuild that copies its rows gives them the column.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pyarrow.parquet as pq

from cloudsql_cos_ts.flowlogs.assemble import LAKE_CODEC, LOCAL_CODEC
from cloudsql_cos_ts.flowlogs.decode import CAPTURE_END_TS, ENTRY_SCHEMA, UNTYPED_END_SCHEMA
from cloudsql_cos_ts.flowlogs.groups import day_group
from cloudsql_cos_ts.flowlogs.lake.layout import part_name
from cloudsql_cos_ts.flowlogs.lake.manifest import read_manifest, write_manifest
from cloudsql_cos_ts.flowlogs.lake.transfer import file_sha256
from tests.flowlogs.lake.conftest import DAY, DAY_START, LakeWorld, sorted_rows
from tests.flowlogs.lake.test_lake_compact import _late
from tests.flowlogs.lake.test_lake_read import read_day


def _codecs(path: Path) -> set[str]:
    meta = pq.read_metadata(path)
    return {meta.row_group(0).column(c).compression for c in range(meta.num_columns)}


def test_the_part_is_written_with_the_lake_codec_and_the_local_entry_with_its_own(world: LakeWorld) -> None:
    result = world.compact()
    cache = world.cache("cache")
    local = cache.current(cache.group_dir(world.raw.store, "", day_group(DAY_START)))
    assert local is not None
    part = world.lake_dir / result.part
    assert _codecs(part) == {LAKE_CODEC.upper()} and _codecs(local.path) == {LOCAL_CODEC.upper()}
    assert sorted_rows(part).equals(sorted_rows(local.path))


def _as_earlier_layout(world: LakeWorld) -> Path:
    """The day's part replaced by its rows without the parsed capture end, with a manifest that says so."""
    manifest = read_manifest(world.lake, DAY)
    assert manifest is not None
    current = world.lake.part_key(DAY, manifest.part)
    table = pq.read_table(world.lake_dir / current).drop_columns([CAPTURE_END_TS])
    staged = world.tmp / "earlier.parquet"
    pq.write_table(table, staged, compression=LAKE_CODEC)
    digest = file_sha256(staged)
    name = part_name(manifest.objects, digest)
    target = world.lake_dir / world.lake.part_key(DAY, name)
    staged.rename(target)
    (world.lake_dir / current).unlink()
    write_manifest(world.lake, replace(manifest, part=name, size=target.stat().st_size, sha256=digest))
    return target


def test_a_part_of_the_earlier_layout_serves_and_a_rebuild_gives_its_rows_the_parsed_end(world: LakeWorld) -> None:
    world.compact()
    earlier = _as_earlier_layout(world)
    assert pq.read_schema(earlier).equals(UNTYPED_END_SCHEMA)
    path, notice, stats = read_day(world)
    assert notice is None and (stats.lake_parts, stats.objects_read) == (1, 0)
    assert sorted_rows(path).equals(sorted_rows(earlier))
    _late(world.source, sorted(world.source.rglob("day=06/hour=12/*/*.gz"))[0])  # the day gains an object
    rebuilt, notice, stats = read_day(world, cache="rebuilt")
    assert notice is None and stats.objects_read == 1 and stats.lake_parts == 1  # the part's rows copied
    assert pq.read_schema(rebuilt).equals(ENTRY_SCHEMA)
    copied = sorted_rows(rebuilt)
    assert copied.num_rows > sorted_rows(earlier).num_rows
    assert copied.column(CAPTURE_END_TS).null_count < copied.num_rows
