"""An entry's Parquet file keeps row-group statistics exactly where a predicate can use them, and a
dictionary exactly where values repeat; fresh objects are decoded in chunks of whole hours, fetched ahead on
helper threads and decoded there only while a core is spare."""

from __future__ import annotations

import threading
from contextlib import closing
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.flowlogs import assemble as assemble_module
from cloudsql_cos_ts.flowlogs.assemble import (
    DECODE_CHUNK_BYTES,
    DICTIONARY_COLUMNS,
    STATISTICS_COLUMNS,
    UNIQUE_VALUE_COLUMNS,
    decode_chunks,
)
from cloudsql_cos_ts.flowlogs.decode import ENTRY_SCHEMA, KEY, RECORD_INDEX, SourceObject, decode_objects
from cloudsql_cos_ts.flowlogs.fetch import Fetched, fetch_objects
from cloudsql_cos_ts.flowlogs.generator import generate
from cloudsql_cos_ts.flowlogs.ingest import IngestCache, IngestStats
from cloudsql_cos_ts.flowlogs.layout import FlowLogKey, VnicPartition
from cloudsql_cos_ts.flowlogs.pruning import VnicPrefixCache, list_range
from cloudsql_cos_ts.storage.local import LocalStore
from cloudsql_cos_ts.timerange import TimeRange

HOUR = datetime(2026, 2, 1, 10, tzinfo=UTC)


@pytest.fixture(scope="module")
def row_group(tmp_path_factory: pytest.TempPathFactory) -> pq.RowGroupMetaData:
    """The first row group of an hour's entry built from generated objects."""
    tmp_path = tmp_path_factory.mktemp("assemble")
    generate(tmp_path / "src", vnics=1, start=HOUR, end=HOUR + timedelta(hours=1), records_per_object=3)
    store = LocalStore(tmp_path / "src")
    span = TimeRange(int(HOUR.timestamp() * 1000), int((HOUR + timedelta(hours=1)).timestamp() * 1000))
    listed = list_range(store, "", span, CancelToken(), vnic_cache=VnicPrefixCache(), context=f"{tmp_path}/src/")
    objects = listed.prune().listed[HOUR]
    cache = IngestCache(tmp_path / "cache", 1 << 30)
    group_dir = cache.group_dir(store, "", "h")
    entry = cache.entry_for(store, group_dir, listed=objects, needed=objects, cancel=CancelToken(), stats=IngestStats())
    return pq.ParquetFile(entry).metadata.row_group(0)


def test_statistics_on_the_time_columns_and_the_views_filters_only(row_group: pq.RowGroupMetaData) -> None:
    with_statistics = {
        row_group.column(i).path_in_schema
        for i in range(row_group.num_columns)
        if row_group.column(i).statistics is not None and row_group.column(i).statistics.has_min_max
    }
    assert with_statistics == set(STATISTICS_COLUMNS)
    assert set(STATISTICS_COLUMNS) <= set(ENTRY_SCHEMA.names)


def test_a_dictionary_for_repeating_values_only(row_group: pq.RowGroupMetaData) -> None:
    with_dictionary = {
        row_group.column(i).path_in_schema
        for i in range(row_group.num_columns)
        if row_group.column(i).has_dictionary_page
    }
    booleans = {field.name for field in ENTRY_SCHEMA if pa.types.is_boolean(field.type)}  # never dictionaries
    assert with_dictionary == set(DICTIONARY_COLUMNS) - booleans
    assert set(ENTRY_SCHEMA.names) > UNIQUE_VALUE_COLUMNS
    assert UNIQUE_VALUE_COLUMNS.isdisjoint(with_dictionary)


VNIC = VnicPartition("a", "us-south", "vpc", "subnet", "vnics", "instance", "vnic", "ingress")
BUDGET = DECODE_CHUNK_BYTES
# Each case: per hour, the sizes of its objects; the expected chunks as lists of hour numbers.
CHUNK_CASES = {
    "small hours joined up to the budget": ([[BUDGET // 4] * 2] * 4, [[0, 1], [2, 3]]),
    "many tiny hours in one chunk": ([[100] * 3] * 24, [list(range(24))]),
    "an hour over the budget alone": ([[BUDGET // 3], [BUDGET * 2], [BUDGET // 3], [BUDGET // 3]], [[0], [1], [2, 3]]),
    "one hour": ([[BUDGET * 3, 1]], [[0]]),
    "no objects": ([], []),
}


def _hour_objects(sizes_by_hour: list[list[int]]) -> list[SourceObject]:
    objects = []
    for hour, sizes in enumerate(sizes_by_hour):
        for sequence, size in enumerate(sizes):
            parsed = FlowLogKey(VNIC, HOUR + timedelta(hours=hour), "s", sequence)
            objects.append(SourceObject(f"{hour}/{sequence}", "e", HOUR, size, parsed))
    return objects


@pytest.mark.parametrize(("sizes", "expected"), CHUNK_CASES.values(), ids=CHUNK_CASES.keys())
def test_decode_chunks_join_whole_hours_up_to_the_budget(sizes: list[list[int]], expected: list[list[int]]) -> None:
    objects = _hour_objects(sizes)
    chunks = decode_chunks(objects)
    assert [obj for chunk in chunks for obj in chunk] == objects  # every object once, in order
    hours = [sorted({int((o.parsed.hour_start - HOUR).total_seconds()) // 3600 for o in chunk}) for chunk in chunks]
    assert hours == expected


@pytest.fixture(scope="module")
def six_hours(tmp_path_factory: pytest.TempPathFactory) -> tuple[LocalStore, list[SourceObject]]:
    """Six hours of generated objects and their listing."""
    root = tmp_path_factory.mktemp("six-hours") / "src"
    generate(root, vnics=1, start=HOUR, end=HOUR + timedelta(hours=6), records_per_object=3)
    store = LocalStore(root)
    span = TimeRange(int(HOUR.timestamp() * 1000), int((HOUR + timedelta(hours=6)).timestamp() * 1000))
    listed = list_range(store, "", span, CancelToken(), vnic_cache=VnicPrefixCache(), context=f"{root}/")
    return store, [o for hour in listed.prune().listed.values() for o in hour]


# Each case: cores no ingest job runs on; the threads that fetch and that decode the chunks. The fetches stay
# ahead on helper threads either way: over an object store each one waits on the network.
SPARE_CASES = {
    "every core busy: decoded on the caller's thread": (0, {"helper"}, {"caller"}),
    "a spare core: decoded on helper threads": (1, {"helper"}, {"helper"}),
}


@pytest.mark.parametrize(("spare", "fetched_on", "decoded_on"), SPARE_CASES.values(), ids=SPARE_CASES.keys())
def test_fresh_chunks_are_fetched_ahead_and_decoded_ahead_only_with_a_spare_core(
    six_hours: tuple[LocalStore, list[SourceObject]],
    monkeypatch: pytest.MonkeyPatch,
    spare: int,
    fetched_on: set[str],
    decoded_on: set[str],
) -> None:
    store, objects = six_hours
    caller = threading.get_ident()
    seen: dict[str, set[str]] = {"fetch": set(), "decode": set()}

    def where() -> str:
        return "caller" if threading.get_ident() == caller else "helper"

    def fetch_recording(store: LocalStore, chunk: list[SourceObject], cancel: CancelToken) -> list[Fetched]:
        seen["fetch"].add(where())
        return list(fetch_objects(store, chunk, cancel))

    def decode_recording(fetched: list[Fetched]) -> pa.Table:
        seen["decode"].add(where())
        return decode_objects(fetched)

    monkeypatch.setattr(assemble_module, "DECODE_CHUNK_BYTES", 1)  # one chunk per hour
    monkeypatch.setattr(assemble_module, "spare_cores", lambda: spare)
    monkeypatch.setattr(assemble_module, "fetch_objects", lambda *args: iter(fetch_recording(*args)))
    monkeypatch.setattr(assemble_module, "decode_objects", decode_recording)
    with closing(assemble_module._fresh_chunks(store, objects, CancelToken())) as fresh:
        chunks = list(fresh)
    assert len(chunks) == len({o.parsed.hour_start for o in objects}) > 1
    assert (seen["fetch"], seen["decode"]) == (fetched_on, decoded_on)
    assert [item for chunk in chunks for item in chunk.ids] == [o.id for o in objects]  # every object once, in order
    whole = decode_objects(list(fetch_objects(store, objects, CancelToken())))
    assert sorted(row for chunk in chunks for row in _object_records(chunk.table)) == sorted(_object_records(whole))


def _object_records(table: pa.Table) -> list[tuple[str, int]]:
    """Each row's object key and record position (-1 for an object's row without records)."""
    keys, positions = table.column(KEY).to_pylist(), table.column(RECORD_INDEX).to_pylist()
    return [(key, -1 if position is None else position) for key, position in zip(keys, positions, strict=True)]
