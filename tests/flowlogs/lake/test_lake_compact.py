"""Compaction into a local lake: one part and a manifest per day, repaired when the day's objects change."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.flowlogs.decode import damaged_keys, object_ids
from cloudsql_cos_ts.flowlogs.lake.compact import DayResult, compact_day, list_day
from cloudsql_cos_ts.flowlogs.lake.manifest import LakeManifest, read_manifest
from cloudsql_cos_ts.flowlogs.lake.read import fetch_part
from tests.flowlogs.lake.conftest import DAY, LakeWorld, sorted_rows

REPO = Path(__file__).resolve().parents[3]
CLI = [sys.executable, "-m", "cloudsql_cos_ts.cli.main"]


def listed_ids(world: LakeWorld) -> frozenset[str]:
    return object_ids(list_day(world.raw, DAY, CancelToken()))


def checked_manifest(world: LakeWorld) -> LakeManifest:
    """The day's manifest, after proving its part is there and matches it (what a reader checks)."""
    manifest = read_manifest(world.lake, DAY)
    assert manifest is not None
    part = fetch_part(world.lake, manifest, world.tmp / "check")
    part.path.unlink()
    return manifest


def lake_files(world: LakeWorld) -> dict[str, int]:
    return {str(p.relative_to(world.lake_dir)): p.stat().st_mtime_ns for p in world.lake_dir.rglob("*") if p.is_file()}


def test_a_day_becomes_one_part_and_its_manifest(world: LakeWorld) -> None:
    result = world.compact()
    manifest = checked_manifest(world)
    objects = listed_ids(world)
    assert result.status == "written" and result.objects == len(objects) == result.downloaded > 0
    assert manifest.objects == objects and manifest.rows == result.rows
    part = pq.read_table(world.lake_dir / result.part)
    assert manifest.damaged == set(damaged_keys(part)) and manifest.damaged
    assert sorted(p.name for p in world.lake_dir.rglob("*") if p.is_file()) == ["_manifest.json", manifest.part]


def test_a_second_run_skips_the_day_it_finds_current(world: LakeWorld) -> None:
    world.compact()
    before = lake_files(world)
    again = world.compact(cache="fresh")  # nothing local to copy from: a rebuild would download everything
    assert (again.status, again.downloaded) == ("current", 0)
    assert lake_files(world) == before


def _late(source: Path, key: Path) -> None:
    """A new object in a settled day: the next sequence number of the same stream."""
    shutil.copyfile(key, key.with_name(f"{int(key.name[:8]) + 1000:08d}.gz"))


def _reuploaded(source: Path, key: Path) -> None:
    """The same key written again with other content (a new ETag)."""
    other = next(p for p in sorted(key.parent.glob("*.gz")) if p != key)
    shutil.copyfile(other, key)
    os.utime(key, ns=(key.stat().st_atime_ns, key.stat().st_mtime_ns + 10**9))


def _deleted(source: Path, key: Path) -> None:
    key.unlink()


@pytest.mark.parametrize(
    ("change", "downloads"),
    [(_late, 1), (_reuploaded, 1), (_deleted, 0)],
    ids=["late object", "re-uploaded object", "deleted object"],
)
def test_a_changed_day_gets_a_new_part_copying_the_rows_still_valid(
    world: LakeWorld, change: Callable[[Path, Path], None], downloads: int
) -> None:
    first = world.compact()
    some_key = sorted(world.source.rglob("day=06/hour=12/*/*.gz"))[0]
    change(world.source, some_key)
    repaired = world.compact(cache="fresh")  # the old part is the only donor
    manifest = checked_manifest(world)
    assert repaired.status == "written" and repaired.downloaded == downloads and repaired.part != first.part
    assert manifest.objects == listed_ids(world)

    scratch = LakeWorld(world.source, world.tmp / "scratch-lake", world.tmp)
    scratch.lake_dir.mkdir()
    built = scratch.compact(cache="scratch")  # everything downloaded again
    assert built.downloaded == built.objects
    assert sorted_rows(world.lake_dir / repaired.part).equals(sorted_rows(scratch.lake_dir / built.part))


def test_compactors_of_the_same_day_in_threads_leave_one_valid_partition(world: LakeWorld) -> None:
    start = threading.Barrier(3)
    results: list[DayResult] = []

    def run(name: str) -> None:
        start.wait()
        results.append(world.compact(cache=name))

    threads = [threading.Thread(target=run, args=(f"cache-{n}",)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 3 and {r.status for r in results} <= {"written", "current"}
    assert checked_manifest(world).objects == listed_ids(world)


def compact_command(world: LakeWorld, cache: str) -> list[str]:
    """The CLI over the world's source, its lake allowed by allowedLocations (as an administrator sets it)."""
    settings = world.tmp / "ds.json"
    locations = {"source": str(world.source), "allowedLocations": [str(world.lake_dir)]}
    settings.write_text(json.dumps({"jsonData": {**locations, "lakeLocation": str(world.lake_dir)}}))
    return [
        *CLI,
        "compact",
        "--settings",
        str(settings),
        "--from",
        DAY.isoformat(),
        "--to",
        DAY.isoformat(),
        "--no-progress",
        "--cache-dir",
        str(world.tmp / cache),
    ]


def test_compactor_processes_of_the_same_day_leave_one_valid_partition(world: LakeWorld) -> None:
    processes = [
        subprocess.Popen(compact_command(world, f"p{n}"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for n in range(2)
    ]
    outputs = [process.communicate(timeout=300) for process in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    assert all(f"{DAY} " in out for out, _ in outputs)
    assert checked_manifest(world).objects == listed_ids(world)


# The compactor is killed at a chosen point: just before it publishes the manifest (the part is
# uploaded), or while it downloads the day's objects (nothing is uploaded).
_KILLERS = {
    "before the manifest": (
        "import cloudsql_cos_ts.flowlogs.lake.compact as c\n"
        "c.write_manifest = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)\n"
    ),
    "while downloading": (
        "import cloudsql_cos_ts.flowlogs.assemble as a\n"
        "real = a.fetch_objects\n"
        "def dying(store, objects, cancel):\n"
        "    for n, item in enumerate(real(store, objects, cancel)):\n"
        "        if n == 0:\n"
        "            os.kill(os.getpid(), signal.SIGKILL)\n"
        "        yield item\n"
        "a.fetch_objects = dying\n"
    ),
}


@pytest.mark.parametrize("stage", list(_KILLERS))
@pytest.mark.parametrize("published_before", [False, True], ids=["first run", "repair run"])
def test_a_compactor_killed_mid_way_leaves_nothing_a_reader_takes_as_complete(
    world: LakeWorld, stage: str, published_before: bool
) -> None:
    if published_before:
        old = world.compact()
        _late(world.source, sorted(world.source.rglob("day=06/hour=03/*/*.gz"))[0])
    command = compact_command(world, "killed")
    script = (
        "import os, signal, sys\n"
        + _KILLERS[stage]
        + "from cloudsql_cos_ts.cli.main import main\n"
        + f"sys.exit(main({command[3:]!r}))\n"
    )
    killed = subprocess.run([sys.executable, "-c", script], check=False, capture_output=True, text=True, timeout=300)
    assert killed.returncode == -9, killed.stderr

    manifest = read_manifest(world.lake, DAY)
    if published_before:  # readers still get the previous, complete partition: a donor for the late object
        assert manifest is not None and manifest.part == Path(old.part).name
        assert checked_manifest(world).objects < listed_ids(world)
    else:
        assert manifest is None

    finished = world.compact(cache="after")  # the next run completes the day
    assert finished.status == "written"
    assert checked_manifest(world).objects == listed_ids(world)


def test_verify_rewrites_a_part_damaged_at_rest_that_a_plain_run_takes_as_current(world: LakeWorld) -> None:
    first = world.compact()
    path = world.lake_dir / first.part
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size: a HEAD cannot tell
    path.write_bytes(bytes(data))
    assert world.compact(cache="plain").status == "current"
    repaired = compact_day(world.raw, world.lake, DAY, cache=world.cache("verify"), cancel=CancelToken(), verify=True)
    assert repaired.status == "written" and repaired.downloaded == repaired.objects  # the damaged part lent nothing
    assert checked_manifest(world).objects == listed_ids(world)
    again = compact_day(world.raw, world.lake, DAY, cache=world.cache("again"), cancel=CancelToken(), verify=True)
    assert (again.status, again.downloaded) == ("current", 0)
