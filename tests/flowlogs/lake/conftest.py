"""A small generated source and the lake helpers the flow-lake tests share (local folders)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.flowlogs.decode import KEY, RECORD_INDEX
from cloudsql_cos_ts.flowlogs.generator import generate
from cloudsql_cos_ts.flowlogs.ingest import IngestCache
from cloudsql_cos_ts.flowlogs.lake.compact import DayResult, RawSource, compact_day
from cloudsql_cos_ts.flowlogs.lake.layout import LakeSource, open_lake
from cloudsql_cos_ts.settings.datasource import Credentials
from cloudsql_cos_ts.settings.locations import LocalLocation
from cloudsql_cos_ts.storage.base import ObjectStore
from cloudsql_cos_ts.storage.local import LocalStore

DAY = date(2026, 5, 6)
DAY_START = datetime(2026, 5, 6, tzinfo=UTC)


def generate_day(store: ObjectStore, prefix: str, day: datetime, seed: int) -> None:
    """One vNIC's objects of the day starting at ``day``, below ``prefix`` (the follower tests' buckets)."""
    generate(store, prefix=prefix, vnics=1, start=day, end=day + timedelta(days=1), records_per_object=3, seed=seed)


@pytest.fixture(scope="session")
def lake_day_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1 vNIC over one settled day (and an hour either side), three damaged objects."""
    folder = tmp_path_factory.mktemp("lake-source")
    generate(
        folder,
        vnics=1,
        start=DAY_START - timedelta(hours=1),
        end=DAY_START + timedelta(hours=25),
        records_per_object=3,
        damaged=3,
    )
    return folder


@dataclass
class LakeWorld:
    """A private copy of the source (tests change it), its lake folder and a place for caches."""

    source: Path
    lake_dir: Path
    tmp: Path

    @property
    def raw(self) -> RawSource:
        return RawSource(LocalStore(self.source), "", f"{self.source}/")

    @property
    def lake(self) -> LakeSource:
        return open_lake(LocalLocation(self.lake_dir), LocalLocation(self.source), Credentials())

    def cache(self, name: str) -> IngestCache:
        return IngestCache(self.tmp / name, 1 << 30)

    def compact(self, cache: str = "cache", day: date = DAY) -> DayResult:
        return compact_day(self.raw, self.lake, day, cache=self.cache(cache), cancel=CancelToken())


@pytest.fixture
def world(lake_day_source: Path, tmp_path: Path) -> LakeWorld:
    source = tmp_path / "source"
    shutil.copytree(lake_day_source, source)
    (tmp_path / "lake").mkdir()
    return LakeWorld(source, tmp_path / "lake", tmp_path)


def sorted_rows(path: Path) -> pa.Table:
    """A part's rows in a fixed order (writers append objects in download order)."""
    table = pq.read_table(path)
    plain = pa.schema([f.with_type(f.type.value_type) if pa.types.is_dictionary(f.type) else f for f in table.schema])
    return table.cast(plain).sort_by([(KEY, "ascending"), (RECORD_INDEX, "ascending")])
