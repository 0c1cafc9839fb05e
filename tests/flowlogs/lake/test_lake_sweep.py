"""Superseded lake parts are deleted only when no reader or compactor can still want them."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cloudsql_cos_ts.flowlogs.lake.manifest import LakeManifest, read_manifest, write_manifest
from cloudsql_cos_ts.flowlogs.lake.sweep import GRACE, sweep_day
from tests.flowlogs.lake.conftest import DAY, LakeWorld
from tests.flowlogs.lake.test_lake_compact import _late

HOUR = timedelta(hours=1)


def current(world: LakeWorld) -> LakeManifest:
    found = read_manifest(world.lake, DAY)
    assert found is not None
    return found


def aged(path: Path, age: timedelta) -> None:
    then = (datetime.now(UTC) - age).timestamp()
    os.utime(path, (then, then))


def superseded(world: LakeWorld) -> tuple[Path, Path]:
    """The day compacted, then again after a late object: (the old part, the current one)."""
    first = world.compact()
    _late(world.source, sorted(world.source.rglob("day=06/hour=12/*/*.gz"))[0])
    second = world.compact(cache="again")
    assert second.status == "written" and second.part != first.part
    return world.lake_dir / first.part, world.lake_dir / second.part


@pytest.mark.parametrize(
    ("manifest_age", "part_age", "deleted"),
    [
        (GRACE + HOUR, GRACE + HOUR, True),
        (GRACE - timedelta(minutes=5), GRACE + HOUR, False),  # a reader may still hold the previous manifest
        (GRACE + HOUR, GRACE - timedelta(minutes=5), False),  # a compactor may be about to publish it
    ],
    ids=["both past the grace period", "manifest too recent", "part too recent"],
)
def test_a_superseded_part_goes_once_the_grace_period_is_over(
    world: LakeWorld, manifest_age: timedelta, part_age: timedelta, deleted: bool
) -> None:
    old, new = superseded(world)
    write_manifest(world.lake, replace(current(world), written=datetime.now(UTC) - manifest_age))
    aged(old, part_age)
    swept = sweep_day(world.lake, current(world), datetime.now(UTC))
    assert old.exists() is not deleted and len(swept) == deleted
    assert new.exists()  # the part the manifest names never goes, however old


def test_a_pass_over_a_current_day_sweeps_it(world: LakeWorld) -> None:
    old, new = superseded(world)
    write_manifest(world.lake, replace(current(world), written=datetime.now(UTC) - 2 * GRACE))
    aged(old, 2 * GRACE)
    result = world.compact(cache="pass")
    assert (result.status, result.swept) == ("current", 1)
    assert not old.exists() and new.exists()
