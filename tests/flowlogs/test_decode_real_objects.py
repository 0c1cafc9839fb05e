"""Each hand-made object (tests/real_objects) decodes alone and in a batch with the others, as its case says."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from cloudsql_cos_ts.flowlogs.decode import DAMAGED, KEY, RECORD_INDEX, SourceObject, damaged_keys, decode_objects
from cloudsql_cos_ts.flowlogs.layout import parse_key
from tests.real_objects.cases import CASES, Case, document_of


def _decode(cases: list[Case]) -> pa.Table:
    moment = datetime(2020, 7, 1, 22, tzinfo=UTC)
    objects = []
    for case in cases:
        parsed = parse_key(case.key)
        assert parsed is not None
        objects.append((SourceObject(case.key, "etag", moment, len(case.body), parsed), case.body))
    return decode_objects(objects)


def _expected_rows(case: Case) -> int:
    """Rows per object: one per record, or one (no record, or the damaged marker) when it has none."""
    return 1 if case.damaged else max(1, len(document_of(case)["flow_logs"]))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_each_case_alone(case: Case) -> None:
    table = _decode([case])
    assert table.num_rows == _expected_rows(case)
    assert damaged_keys(table) == ([case.key] if case.damaged else [])
    if not case.damaged:
        times = document_of(case)["flow_logs"]
        usable = sum(1 for r in times if r["connection_start_time"])
        assert table.column("__connection_start_ts").null_count == table.num_rows - usable


def test_one_batch_keeps_every_readable_object_and_marks_the_damaged() -> None:
    table = _decode(list(CASES))
    assert table.num_rows == sum(_expected_rows(case) for case in CASES)
    marked = table.filter(pc.equal(table.column(RECORD_INDEX), DAMAGED))
    assert sorted(marked.column(KEY).cast(pa.string()).to_pylist()) == sorted(c.key for c in CASES if c.damaged)
    assert marked.column("version").null_count == marked.num_rows  # nothing of the damaged body is kept
