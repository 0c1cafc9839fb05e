"""Bodies that are not clean flow-log documents: which are damaged, and what the readable ones hold.

The hand-made objects (tests/real_objects) cover what IBM writes; these are the shapes a reader
must survive besides: JSON that is no flow-log document (one of them, the literal ``null``, crashed
the process under the earlier reader), text that is not one JSON document, bytes that are not
UTF-8, and values of the wrong type, which are NULL as IBM SQL Query's Spark read them.
"""

from __future__ import annotations

import gzip
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pyarrow as pa
import pytest

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.flowlogs import documents as documents_module
from cloudsql_cos_ts.flowlogs.documents import body_text, one_array, read_documents, release_join_blocks
from cloudsql_cos_ts.flowlogs.parallel import run_jobs

GOOD = b'{"version": "0.0.1", "state": "ok", "number_of_flow_logs": 1, "flow_logs": [{"target_port": 22}]}'


def _with_wrong_checksum(member: bytes) -> bytes:
    """A gzip member whose CRC-32 trailer does not match its text."""
    return member[:-8] + bytes([member[-8] ^ 1]) + member[-7:]


DAMAGED_BODIES = {
    "the JSON literal null": b"null",
    "a JSON array": b'[{"version": "0.0.1"}]',
    "a JSON string": b'"flow logs"',
    "a number": b"42",
    "an object without any flow-log field": b'{"collector_crn": "crn:v1:x"}',
    "an empty body": b"",
    "only whitespace": b" \n ",
    "two documents": GOOD + GOOD,
    "a document and more text": GOOD + b" trailing",
    "not UTF-8": b'{"version": "\xff\xfe", "flow_logs": []}',
    "gzip cut short": gzip.compress(GOOD)[:20],
    "gzip cut before its trailer": gzip.compress(GOOD)[:-4],
    "gzip with a wrong checksum": _with_wrong_checksum(gzip.compress(GOOD)),
    "gzip followed by other bytes": gzip.compress(GOOD) + b"garbage",
}

READABLE_BODIES: dict[str, tuple[bytes, dict[str, Any]]] = {
    "pretty-printed with CRLF": (
        b'{\r\n  "version": "0.0.1",\r\n  "flow_logs": [\r\n    {"target_port": 443}\r\n  ]\r\n}\r\n',
        {"version": "0.0.1", "flow_logs": [443]},
    ),
    "a count that is no number": (
        b'{"version": "0.0.1", "number_of_flow_logs": "many", "flow_logs": []}',
        {"version": "0.0.1", "number_of_flow_logs": None, "flow_logs": []},
    ),
    "records that are no list": (
        b'{"version": "0.0.1", "flow_logs": {"target_port": 22}}',
        {"version": "0.0.1", "flow_logs": None},
    ),
    "a port that is no number, unknown fields": (
        b'{"version": "0.0.1", "extra": {"a": [1]}, "flow_logs": [{"target_port": "ssh", "new": 1}]}',
        {"version": "0.0.1", "flow_logs": [None]},
    ),
    "only the records": (b'{"flow_logs": []}', {"version": None, "flow_logs": []}),
    "gzip": (gzip.compress(GOOD), {"version": "0.0.1", "number_of_flow_logs": 1, "flow_logs": [22]}),
    "gzip in two members": (
        gzip.compress(GOOD[:40]) + gzip.compress(GOOD[40:]),
        {"version": "0.0.1", "number_of_flow_logs": 1, "flow_logs": [22]},
    ),
    "gzip padded with zeros": (gzip.compress(GOOD) + bytes(8), {"version": "0.0.1", "flow_logs": [22]}),
}


def _read(bodies: list[bytes]) -> tuple[pa.Table, list[bool]]:
    documents, damaged = read_documents(bodies)
    assert documents.num_rows == len(bodies)
    return documents, damaged.to_pylist()


def read_by_duckdb(bodies: list[bytes]) -> tuple[pa.Table, list[bool]]:
    """What DuckDB's reader alone makes of the bodies (the native decoder left out)."""
    documents, damaged = documents_module._read_texts([body_text(body) for body in bodies])
    return documents, damaged.to_pylist()


def _ports(records: list[dict[str, Any]] | None) -> list[int | None] | None:
    return None if records is None else [record["target_port"] for record in records]


@pytest.mark.parametrize("body", DAMAGED_BODIES.values(), ids=DAMAGED_BODIES.keys())
def test_damaged_alone_and_beside_a_good_document(body: bytes) -> None:
    documents, damaged = _read([GOOD, body, GOOD])
    assert damaged == [False, True, False]
    rows = documents.to_pylist()
    assert all(value is None for value in rows[1].values())  # nothing of a damaged body is kept
    assert rows[0] == rows[2]
    assert (rows[0]["version"], _ports(rows[0]["flow_logs"])) == ("0.0.1", [22])


@pytest.mark.parametrize(("body", "expected"), READABLE_BODIES.values(), ids=READABLE_BODIES.keys())
def test_readable_values(body: bytes, expected: dict[str, Any]) -> None:
    documents, damaged = _read([body])
    assert damaged == [False]
    row = documents.to_pylist()[0]
    assert {name: _ports(row[name]) if name == "flow_logs" else row[name] for name in expected} == expected


def test_a_batch_with_every_shape_keeps_each_readable_document() -> None:
    bodies = [*DAMAGED_BODIES.values(), *(body for body, _ in READABLE_BODIES.values())]
    documents, damaged = _read(bodies)
    assert damaged == [True] * len(DAMAGED_BODIES) + [False] * len(READABLE_BODIES)
    versions = documents.column("version").to_pylist()[len(DAMAGED_BODIES) :]
    assert versions == [expected["version"] for _, expected in READABLE_BODIES.values()]


def test_threads_reading_at_once_get_what_each_reads_alone() -> None:
    """The decoding threads of one query (and of queries at once) share one database, a cursor each."""
    batches = [[GOOD] * 50 + [body] + [GOOD] * 50 for body in DAMAGED_BODIES.values()]
    alone = [_read(bodies) for bodies in batches]
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(_read, batches * 3))
    for index, (documents, damaged) in enumerate(together):
        expected_documents, expected_damaged = alone[index % len(batches)]
        assert damaged == expected_damaged
        assert documents.equals(expected_documents)


def test_an_answer_keeps_its_values_after_later_reads_reuse_the_block() -> None:
    """Each DuckDB read copies its texts into a block the next read reuses: no answer may still point into it."""
    first, _ = read_by_duckdb([GOOD] * 20)
    expected = first.to_pylist()
    for bodies in ([body for body, _ in READABLE_BODIES.values()] * 30, [b'{"version": "9", "flow_logs": []}']):
        read_by_duckdb(bodies)
    assert first.to_pylist() == expected


def test_the_ingest_jobs_drop_the_idle_blocks_when_they_end() -> None:
    release_join_blocks()
    read_by_duckdb([GOOD] * 10)
    idle = documents_module._JOIN_BLOCKS._idle
    assert len(idle) == 1
    block = idle[0]
    read_by_duckdb([GOOD] * 5)  # a smaller chunk reuses the same block
    assert idle == [block]
    answers = run_jobs([lambda _: read_by_duckdb([GOOD]), lambda _: read_by_duckdb([GOOD, b"null"])], CancelToken())
    assert [damaged for _, damaged in answers] == [[False], [False, True]]
    assert idle == []


def test_the_database_opens_at_the_first_decode_not_when_the_engine_loads() -> None:
    """Every plugin process loads the DuckDB engine (which imports this module); only one that decodes needs it."""
    probe = (
        "import cloudsql_cos_ts.engines.duckdb.engine\n"
        "from cloudsql_cos_ts.flowlogs import documents\n"
        "print(documents._database.cache_info().currsize)\n"
        "documents.read_documents([b'{}'])\n"
        "print(documents._database.cache_info().currsize)\n"
    )
    opened = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60)
    assert opened.stdout.split() == ["0", "1"]


@pytest.mark.parametrize("chunks", [1, 2, 3])
def test_one_array_copies_only_several_chunks(chunks: int) -> None:
    """A chunk's decoded documents come as one chunk: taken as they are, not copied (``combine_chunks`` would)."""
    documents, _ = _read([GOOD] * 4)
    records = documents.column("flow_logs").chunk(0)
    column = pa.chunked_array([records] * chunks)
    array = one_array(column)
    assert array.to_pylist() == records.to_pylist() * chunks
    assert (array.buffers()[1].address == records.buffers()[1].address) == (chunks == 1)
