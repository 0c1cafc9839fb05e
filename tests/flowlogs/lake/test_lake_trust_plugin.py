"""The plugin process over the S3 test server: a long-settled lake day costs its manifest and its part, no listing.

Every request goes through the counting front, so the tests see which prefixes were listed. A day inside
the trust bound, and a day whose manifest is damaged, are listed as before; a late object stays unseen
until the compactor repairs the day, then shows.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.flowlogs.ingest import IngestCache
from cloudsql_cos_ts.flowlogs.lake.compact import DayResult, RawSource, compact_day
from cloudsql_cos_ts.flowlogs.lake.layout import LakeSource, open_lake
from cloudsql_cos_ts.settings.datasource import Credentials
from cloudsql_cos_ts.settings.locations import parse_location
from cloudsql_cos_ts.settings.secret import Secret
from cloudsql_cos_ts.storage.cos import CosStore
from tests.flowlogs.lake.conftest import DAY, DAY_START
from tests.plugin_host import PluginProcess, data_query, datasource_context, decode_frames, frame_meta
from tests.storage.conftest import BUCKET, HMAC_ID, HMAC_SECRET, s3_endpoint  # noqa: F401 (fixture)
from tests.storage.s3_front import S3Front, s3_front

KEYS = Credentials(auth="hmac", hmac_access_key_id=Secret(HMAC_ID), hmac_secret_access_key=Secret(HMAC_SECRET))
SECURE = {"hmacAccessKeyId": HMAC_ID, "hmacSecretAccessKey": HMAC_SECRET}
LAKE = "trust/lake/"
SQL = "SELECT count(*) AS n, count(DISTINCT initiator_ip) AS initiators, sum(bytes_from_initiator) AS b FROM FLOW_FLAT"
DAY_FOLDER = re.compile(rf"year={DAY.year}/month=0?{DAY.month}/day=0?{DAY.day}/")
DAY_MS = int(DAY_START.timestamp() * 1000)
THE_DAY = (DAY_MS, DAY_MS + 86_400_000 - 1)
RANGES = {  # the day and hours of it named; ranges whose raw folders are walked (wide, reaching past today)
    "the day": THE_DAY,
    "hours of it": (DAY_MS + 6 * 3_600_000, DAY_MS + 18 * 3_600_000),
    "a year up to it": (DAY_MS - 365 * 86_400_000, THE_DAY[1]),
    "from it to past today": (DAY_MS, int(time.time() * 1000) + 30 * 86_400_000),
}
UNTRUSTED = {"GF_PLUGIN_LAKE_TRUST_AFTER_HOURS": str(10**6)}  # every day lies inside the bound


@dataclass(frozen=True)
class Source:
    """One raw prefix in the bucket with its day compacted into the lake."""

    front: S3Front
    raw: str
    lake: LakeSource
    tmp: Path

    def json(self, lake: bool) -> dict[str, Any]:
        source, lake_url = f"cos://us-south/{BUCKET}/{self.raw}", f"cos://us-south/{BUCKET}/{LAKE}"
        plain = {"source": source, "cosEndpoint": self.front.url, "authType": "hmac", "cacheTtlSeconds": 0}
        return {**plain, "allowedLocations": [lake_url], "lakeLocation": lake_url} if lake else plain

    def compact(self) -> DayResult:
        store = CosStore(self.front.url, BUCKET, KEYS)
        cache = IngestCache(self.tmp / f"compactor-{self.raw.strip('/').replace('/', '-')}", 1 << 30)
        return compact_day(RawSource(store, self.raw), self.lake, DAY, cache=cache, cancel=CancelToken())


@pytest.fixture(scope="module")
def front(s3_endpoint: str) -> Iterator[S3Front]:  # noqa: F811 (the fixture)
    with s3_front(s3_endpoint) as served:
        yield served


def _source(front: S3Front, folder: Path, raw: str, tmp: Path) -> Source:
    store = CosStore(front.url, BUCKET, KEYS)
    files = [p for p in folder.rglob("*") if p.is_file()]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda p: store.put(raw + str(p.relative_to(folder)), p.read_bytes()), files))
    lake = open_lake(
        parse_location(f"cos://us-south/{BUCKET}/{LAKE}", field="lake", endpoint_override=front.url),
        parse_location(f"cos://us-south/{BUCKET}/{raw}", field="source", endpoint_override=front.url),
        KEYS,
    )
    source = Source(front, raw, lake, tmp)
    assert source.compact().status == "written"
    return source


@pytest.fixture(scope="module")
def source(front: S3Front, lake_day_source: Path, tmp_path_factory: pytest.TempPathFactory) -> Source:
    return _source(front, lake_day_source, "trust/raw/", tmp_path_factory.mktemp("trust"))


@pytest.fixture(scope="module")
def raw_plugin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PluginProcess]:
    process = PluginProcess(cache_dir=tmp_path_factory.mktemp("trust-raw") / "cache").start()
    yield process
    process.stop()


@dataclass(frozen=True)
class Asked:
    rows: list[dict[str, Any]]
    notices: list[str]
    day_lists: int  # list calls below the day's folders
    day_gets: int  # raw objects of the day downloaded
    lake_gets: list[str]  # the day's lake objects downloaded (manifest, part)


def ask(plugin: PluginProcess, source: Source, lake: bool, span: tuple[int, int] = THE_DAY) -> Asked:
    lists, requests = len(source.front.listed_prefixes()), len(source.front.requests())
    query = data_query("A", {"rawSql": SQL, "format": "table"}, from_ms=span[0], to_ms=span[1])
    context = datasource_context(source.json(lake), SECURE, uid=f"trust-{lake}-{source.raw}")
    answer = plugin.query(query, context=context, timeout=120)["A"]
    assert answer.status == 200, answer.error
    frames = decode_frames(answer)
    gets = [path for kind, path in source.front.requests()[requests:] if kind == "get"]
    return Asked(
        rows=[row for frame in frames for row in frame.to_pylist()],
        notices=[n["text"] for n in frame_meta(frames[0]).get("notices", [])],
        day_lists=sum(
            1
            for prefix in source.front.listed_prefixes()[lists:]
            if prefix.startswith(source.raw) and DAY_FOLDER.search(prefix)
        ),
        day_gets=sum(1 for path in gets if path.startswith(f"/{BUCKET}/{source.raw}") and DAY_FOLDER.search(path)),
        lake_gets=[path for path in gets if f"/{BUCKET}/{source.lake.day_prefix(DAY)}" in path],
    )


def fresh(tmp_path: Path, name: str, env: dict[str, str] | None = None) -> PluginProcess:
    (tmp_path / name).mkdir()
    return PluginProcess(cache_dir=tmp_path / name / "cache", extra_env=env or {}).start()


def asked_fresh(tmp_path: Path, name: str, source: Source, env: dict[str, str] | None = None) -> Asked:
    plugin = fresh(tmp_path, name, env)
    try:
        return ask(plugin, source, lake=True)
    finally:
        plugin.stop()


def test_a_trusted_day_costs_its_manifest_and_its_part_and_no_listing(
    source: Source, raw_plugin: PluginProcess, tmp_path: Path
) -> None:
    lake, raw = asked_fresh(tmp_path, "lake", source), ask(raw_plugin, source, lake=False)
    assert lake.rows == raw.rows and lake.rows[0]["n"] > 0
    assert lake.notices == raw.notices  # the damaged objects' notice, none about the lake
    assert (lake.day_lists, lake.day_gets) == (0, 0)
    assert sorted(path.rpartition("/")[2].partition("-")[0] for path in lake.lake_gets) == ["_manifest.json", "part"]


def test_a_day_inside_the_trust_bound_is_listed(source: Source, raw_plugin: PluginProcess, tmp_path: Path) -> None:
    lake = asked_fresh(tmp_path, "untrusted", source, UNTRUSTED)
    assert lake.rows == ask(raw_plugin, source, lake=False).rows
    assert lake.day_lists > 0 and lake.day_gets == 0  # listed, then still read from the day's part


def test_a_damaged_manifest_lists_the_day_and_reads_it_raw_with_a_notice(
    source: Source, raw_plugin: PluginProcess, tmp_path: Path
) -> None:
    store, key = CosStore(source.front.url, BUCKET, KEYS), source.lake.manifest_key(DAY)
    original, _ = store.get(key)
    store.put(key, original[: len(original) // 2])
    try:
        lake = asked_fresh(tmp_path, "damaged", source)
    finally:
        store.put(key, original)
    assert lake.rows == ask(raw_plugin, source, lake=False).rows
    assert lake.day_lists > 0 and lake.day_gets > 0
    (notice,) = [text for text in lake.notices if "flow lake" in text]
    assert "flow lake" in notice and str(DAY) in notice and "not readable" in notice


def test_a_late_object_shows_once_the_compactor_repairs_the_day(
    front: S3Front, lake_day_source: Path, tmp_path: Path
) -> None:
    late_source = _source(front, lake_day_source, "trust/late/", tmp_path)
    before = asked_fresh(tmp_path, "before", late_source)
    store = CosStore(front.url, BUCKET, KEYS)
    noon = next(i.key for i in store.list(late_source.raw).objects if DAY_FOLDER.search(i.key) and "hour=12" in i.key)
    folder, _, name = noon.rpartition("/")
    store.put(f"{folder}/{int(name[:8]) + 1000:08d}.gz", store.get(noon)[0])  # the next object of the stream, late
    unseen = asked_fresh(tmp_path, "unseen", late_source)
    assert unseen.rows == before.rows and unseen.day_lists == 0  # the trusted manifest does not list it yet
    assert late_source.compact().status == "written"
    repaired = asked_fresh(tmp_path, "repaired", late_source)
    raw = fresh(tmp_path, "raw-after")
    try:
        assert repaired.rows == ask(raw, late_source, lake=False).rows
    finally:
        raw.stop()
    assert repaired.rows[0]["n"] > before.rows[0]["n"] and repaired.day_lists == 0


def test_a_day_whose_raw_objects_expired_is_answered_from_the_lake_by_every_range(
    front: S3Front, lake_day_source: Path, raw_plugin: PluginProcess, tmp_path: Path
) -> None:
    """A lifecycle rule may delete a trusted day's raw objects: closed, cut, wide and past-today ranges still get it."""
    expired = _source(front, lake_day_source, "trust/expired/", tmp_path)
    before = {name: ask(raw_plugin, expired, lake=False, span=span).rows for name, span in RANGES.items()}
    store = CosStore(front.url, BUCKET, KEYS)
    for info in store.list(expired.raw).objects:
        if DAY_FOLDER.search(info.key):
            store.delete(info.key)
    plugin = fresh(tmp_path, "expired")
    try:
        after = {name: ask(plugin, expired, lake=True, span=span) for name, span in RANGES.items()}
    finally:
        plugin.stop()
    assert {name: asked.rows for name, asked in after.items()} == before
    assert all(asked.day_gets == 0 for asked in after.values())
