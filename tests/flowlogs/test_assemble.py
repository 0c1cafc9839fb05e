"""An entry's Parquet file keeps row-group statistics exactly where a predicate can use them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.flowlogs.assemble import STATISTICS_COLUMNS
from cloudsql_cos_ts.flowlogs.decode import ENTRY_SCHEMA
from cloudsql_cos_ts.flowlogs.generator import generate
from cloudsql_cos_ts.flowlogs.ingest import IngestCache, IngestStats
from cloudsql_cos_ts.flowlogs.pruning import VnicPrefixCache, list_range
from cloudsql_cos_ts.storage.local import LocalStore
from cloudsql_cos_ts.timerange import TimeRange

HOUR = datetime(2026, 2, 1, 10, tzinfo=UTC)


def test_statistics_on_the_time_columns_and_the_views_filters_only(tmp_path: Path) -> None:
    generate(tmp_path / "src", vnics=1, start=HOUR, end=HOUR + timedelta(hours=1), records_per_object=3)
    store = LocalStore(tmp_path / "src")
    span = TimeRange(int(HOUR.timestamp() * 1000), int((HOUR + timedelta(hours=1)).timestamp() * 1000))
    listed = list_range(store, "", span, CancelToken(), vnic_cache=VnicPrefixCache(), context=f"{tmp_path}/src/")
    objects = listed.prune().listed[HOUR]
    cache = IngestCache(tmp_path / "cache", 1 << 30)
    group_dir = cache.group_dir(store, "", "h")
    entry = cache.entry_for(store, group_dir, listed=objects, needed=objects, cancel=CancelToken(), stats=IngestStats())
    group = pq.ParquetFile(entry).metadata.row_group(0)
    with_statistics = {
        group.column(i).path_in_schema
        for i in range(group.num_columns)
        if group.column(i).statistics is not None and group.column(i).statistics.has_min_max
    }
    assert with_statistics == set(STATISTICS_COLUMNS)
    assert set(STATISTICS_COLUMNS) <= set(ENTRY_SCHEMA.names)
