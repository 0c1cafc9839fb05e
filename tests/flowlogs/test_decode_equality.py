"""Decode equality: every value of every hand-made object (tests/real_objects) is what its JSON says.

The ingest decodes straight into Arrow with the known schema, so a faster decoder must never change a
value. Expected rows are built here from ``json.loads`` of each object, independently of the decoder:
header fields on every record row, record fields in order (a field the record lacks is NULL, fields
the schema does not know are ignored), ``capture_start_time`` and ``connection_start_time`` as naive
UTC timestamps where they are times (NULL where empty or not a time), and one row with NULL record
fields for an object without records. Each object is decoded alone and all of them in one batch.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pytest

from cloudsql_cos_ts.flowlogs.decode import CONNECTION_START_TS, RECORD_INDEX, SourceObject, decode_objects
from cloudsql_cos_ts.flowlogs.layout import parse_key
from cloudsql_cos_ts.flowlogs.schema import HEADER_JSON, RECORD_MEMBERS
from tests.real_objects.cases import CASES, Case, document_of

READABLE = [case for case in CASES if not case.damaged]
MODIFIED = datetime(2020, 7, 1, 22, tzinfo=UTC)


def _moment(text: object) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _expected(case: Case) -> list[dict[str, Any]]:
    document = document_of(case)
    header = {name: document.get(name) for name, _ in HEADER_JSON}
    header["capture_start_time"] = _moment(header["capture_start_time"])
    records = document["flow_logs"] or [None]
    rows = []
    for position, record in enumerate(records, start=1):
        row = {**header, "__key": case.key, RECORD_INDEX: position if record is not None else None}
        row.update({name: (record or {}).get(name) for name, _ in RECORD_MEMBERS})
        row[CONNECTION_START_TS] = _moment(row["connection_start_time"])
        rows.append(row)
    return rows


def _decoded(cases: list[Case]) -> dict[str, list[dict[str, Any]]]:
    objects = []
    for case in cases:
        parsed = parse_key(case.key)
        assert parsed is not None
        objects.append((SourceObject(case.key, "etag", MODIFIED, len(case.body), parsed), case.body))
    table = decode_objects(objects)
    plain = pa.table(
        [c.cast(c.type.value_type) if pa.types.is_dictionary(c.type) else c for c in table.columns],
        names=table.column_names,
    )
    wanted = [
        *(name for name, _ in HEADER_JSON),
        "__key",
        RECORD_INDEX,
        *(n for n, _ in RECORD_MEMBERS),
        CONNECTION_START_TS,
    ]
    by_key: dict[str, list[dict[str, Any]]] = {}
    for row in plain.select(wanted).to_pylist():
        by_key.setdefault(row["__key"], []).append(row)
    return by_key


@pytest.mark.parametrize("case", READABLE, ids=lambda c: c.name)
def test_each_object_decodes_to_its_json(case: Case) -> None:
    assert _decoded([case])[case.key] == _expected(case)


def test_all_objects_in_one_batch_decode_to_their_json() -> None:
    decoded = _decoded(list(CASES))
    for case in READABLE:
        assert decoded[case.key] == _expected(case), case.name
