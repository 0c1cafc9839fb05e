"""The native decoder reads what it can read exactly, declines the rest, and never changes an answer.

Every body is read twice: by :func:`read_documents` (the native decoder, DuckDB for what it declines) and by
DuckDB's reader alone, the reference; the tables and the damaged flags must be equal. Which bodies the native
decoder takes matters too: a clean document it declined would still be answered right, only slowly, so the
real-format objects and the clean shapes must be read natively.
"""

from __future__ import annotations

import gzip
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudsql_cos_ts.flowlogs import documents
from cloudsql_cos_ts.flowlogs.native import LIBRARY, Decoder, flow_log_decoder
from cloudsql_cos_ts.flowlogs.schema import HEADER_JSON, RECORD_MEMBERS
from tests.flowlogs.test_documents import read_by_duckdb
from tests.real_objects.cases import CASES

RECORD = {
    "start_time": "2026-11-14T00:04:21Z", "end_time": "", "connection_start_time": "2026-11-14T00:04:21Z",
    "direction": "I", "action": "accepted", "initiator_ip": "203.0.113.151", "target_ip": "10.240.1.5",
    "initiator_port": 35700, "target_port": 443, "transport_protocol": 6, "ether_type": "IPv4",
    "was_initiated": True, "was_terminated": False, "bytes_from_initiator": 18520, "packets_from_initiator": 20,
    "bytes_from_target": 2**40, "packets_from_target": 75, "cumulative_bytes_from_initiator": -1,
    "cumulative_packets_from_initiator": 20, "cumulative_bytes_from_target": 11700,
    "cumulative_packets_from_target": 75,
}
DOCUMENT = {
    "version": "0.0.1", "collector_crn": "crn:v1:bluemix:public:is:us-south:a/1::flow-log-collector:r006-1",
    "attached_endpoint_type": "vnic", "network_interface_id": "0717-a", "instance_crn": "crn:v1:x",
    "vpc_crn": "crn:v1:y", "capture_start_time": "2026-11-14T00:00:00Z", "capture_end_time": "2026-11-14T00:05:00Z",
    "state": "ok", "number_of_flow_logs": 1, "flow_logs": [RECORD],
}


def _body(document: Any, **dumps: Any) -> bytes:
    return json.dumps(document, **{"ensure_ascii": False, **dumps}).encode()


def _with(**fields: Any) -> bytes:
    return _body({**DOCUMENT, **fields})


def _with_record(**fields: Any) -> bytes:
    return _with(flow_logs=[{**RECORD, **fields}])


def _gzip_claiming(size: int) -> bytes:
    """A gzip member whose trailer claims a text of ``size`` bytes."""
    member = gzip.compress(_with())
    return member[:-4] + size.to_bytes(4, "little")


# (body, read natively): the clean shapes are read; anything the decoder cannot read exactly is declined.
BODIES: dict[str, tuple[bytes, bool]] = {
    "a clean document": (_with(), True),
    "gzip": (gzip.compress(_with()), True),
    "pretty-printed": (_body(DOCUMENT, indent=2), True),
    "fields in another order, unknown fields anywhere": (
        _body({"extra": {"nested": [1, {"a": None}]}, **dict(reversed(DOCUMENT.items())), "z": 1.5}), True
    ),
    "nulls everywhere": (_with(version=None, number_of_flow_logs=None, flow_logs=[dict.fromkeys(RECORD)]), True),
    "no records, null records, missing records": (_body({"version": "1", "flow_logs": []}), True),
    "null records": (_with(flow_logs=None), True),
    "records absent": (_body({"version": "1"}), True),
    "escapes and other scripts": (_with(state='o"k\\\n\t é ✓ 😀', vpc_crn="\u00e9"), True),
    "other scripts escaped": (_body({**DOCUMENT, "state": "é ✓ 😀"}, ensure_ascii=True), True),
    "an escaped field name": (b'{"ver\\u0073ion": "0.0.1", "flow_logs": []}', True),
    "a NUL character": (_with(state="a\u0000b"), True),
    "the largest ports": (_with_record(initiator_port=2**31 - 1, target_port=-(2**31)), True),
    "an empty object's record": (_with(flow_logs=[{}]), True),
    "a port beyond 32 bits": (_with_record(target_port=2**31), False),
    "a byte count beyond 64 bits": (_with_record(bytes_from_target=2**64), False),
    "a byte count past int64": (_with_record(bytes_from_target=2**63), False),
    "a port with a fraction": (_with_record(target_port=443.5), False),
    "a port written as a decimal": (_with_record(target_port=443.0), False),
    "a port in exponent form": (_with().replace(b'"target_port": 443', b'"target_port": 4.43e2'), False),
    "a port as text": (_with_record(target_port="443"), False),
    "a port that is no number": (_with_record(target_port="ssh"), False),
    "a boolean as text": (_with_record(was_initiated="true"), False),
    "a boolean as a number": (_with_record(was_terminated=1), False),
    "a number where text belongs": (_with_record(direction=1), False),
    "a boolean where text belongs": (_with(state=True), False),
    "an object where text belongs": (_with(state={"a": 1}), False),
    "a list where text belongs": (_with(version=["0.0.1"]), False),
    "a count as text": (_with(number_of_flow_logs="1"), False),
    "a field twice": (_with().replace(b'"state": "ok"', b'"state": "ok", "state": "bad"'), False),
    "a record's field twice": (_with().replace(b'"action": "accepted"', b'"action": "accepted", "action": "x"'), False),
    "the records twice": (_with().replace(b'"flow_logs":', b'"flow_logs": [], "flow_logs":'), False),
    "records that are an object": (_with(flow_logs={"target_port": 1}), False),
    "a record that is null": (_with(flow_logs=[RECORD, None]), False),
    "a record that is a number": (_with(flow_logs=[1]), False),
    "a byte order mark": (b"\xef\xbb\xbf" + _with(), False),
    "no flow-log field (read, then left to DuckDB to call damaged)": (b'{"collector_crn": "crn:v1:x"}', True),
    "the JSON literal null": (b"null", False),
    "a JSON array": (b"[]", False),
    "an empty body": (b"", False),
    "two documents": (_with() + _with(), False),
    "not UTF-8": (_with(state="ÿ").replace("ÿ".encode(), b"\xff"), False),
    "gzip in two members": (gzip.compress(_with()[:40]) + gzip.compress(_with()[40:]), False),
    "gzip padded with zeros": (gzip.compress(_with()) + bytes(8), False),
    "gzip followed by other bytes": (gzip.compress(_with()) + b"garbage", False),
    "gzip cut short": (gzip.compress(_with())[:30], False),
    "gzip whose trailer claims less": (_gzip_claiming(10), False),
    "gzip whose trailer claims more": (_gzip_claiming(len(_with()) + 1), False),
    "gzip whose trailer claims four gigabytes": (_gzip_claiming(2**32 - 1), False),
    "only a gzip magic": (b"\x1f\x8b", False),
}


def _native() -> Decoder:
    decoder = flow_log_decoder()
    assert decoder is not None, f"{LIBRARY} is not built: run scripts/build_native.sh"
    return decoder


def _decoded(bodies: list[bytes]) -> tuple[pa.StructArray, np.ndarray]:
    decoded = _native().decode(bodies)
    assert decoded is not None
    return decoded


def _assert_same_as_duckdb(bodies: list[bytes]) -> None:
    table, damaged = documents.read_documents(bodies)
    expected_table, expected_damaged = read_by_duckdb(bodies)
    assert damaged.to_pylist() == expected_damaged
    assert table.schema == expected_table.schema
    assert table.to_pylist() == expected_table.to_pylist()


def test_the_library_is_built_and_loads() -> None:
    assert LIBRARY.is_file(), f"{LIBRARY} is not built: run scripts/build_native.sh"
    _native()


@pytest.mark.parametrize(("body", "native"), BODIES.values(), ids=BODIES.keys())
def test_each_body_reads_as_duckdb_reads_it(body: bytes, native: bool) -> None:
    _, declined = _decoded([body])
    assert bool(declined[0]) is not native
    _assert_same_as_duckdb([body])
    _assert_same_as_duckdb([_with(), body, gzip.compress(_with(state="after"))])


def test_all_bodies_in_one_chunk_read_as_duckdb_reads_them() -> None:
    bodies = [body for body, _ in BODIES.values()]
    _, declined = _decoded(bodies)
    assert declined.tolist() == [not native for _, native in BODIES.values()]
    _assert_same_as_duckdb(bodies)
    _assert_same_as_duckdb(bodies[::-1])


@pytest.mark.parametrize("case", [case for case in CASES if not case.damaged], ids=lambda case: case.name)
def test_real_format_objects_are_read_natively(case: Any) -> None:
    _, declined = _decoded([case.body])
    assert not declined.any()
    _assert_same_as_duckdb([case.body])


@pytest.mark.parametrize("missing", ["the library", "the decoder's memory"])
def test_without_the_native_decoder_duckdb_reads_every_body(monkeypatch: pytest.MonkeyPatch, missing: str) -> None:
    if missing == "the library":
        monkeypatch.setattr(documents, "flow_log_decoder", lambda: None)
    else:
        monkeypatch.setattr(Decoder, "decode", lambda self, bodies: None)
    _assert_same_as_duckdb([body for body, _ in BODIES.values()])


def test_an_object_larger_than_the_kept_buffers_decodes_and_so_does_the_next() -> None:
    """A thread lets its parser's and text's buffers go after a call that grew them past 64 MiB."""
    records = 200_000  # about 90 MB of JSON text
    big = gzip.compress(_with(flow_logs=[RECORD] * records, number_of_flow_logs=records), compresslevel=1)
    small = gzip.compress(_with())
    for bodies, lengths in (([big], [records]), ([small], [1]), ([big, small], [records, 1])):
        array, declined = _decoded(bodies)
        assert not declined.any()
        assert pc.list_value_length(array.field("flow_logs")).to_pylist() == lengths
        assert pc.unique(array.field("flow_logs").flatten().field("target_port")).to_pylist() == [443]


def test_threads_decoding_at_once_get_what_each_decodes_alone() -> None:
    """The decoder runs without the GIL, each thread with its own parser and inflater."""
    batches = [[body for body, _ in BODIES.values()][start:] * 20 for start in range(8)]
    alone = [_decoded(batch) for batch in batches]
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(_decoded, batches * 3))
    for index, (array, declined) in enumerate(together):
        expected_array, expected_declined = alone[index % len(batches)]
        assert np.array_equal(declined, expected_declined)
        assert array.equals(expected_array)


_TEXT = st.text(st.characters(codec="utf-8"), max_size=12)
# Any JSON value; an integer beyond 64 bits is one simdjson does not parse, so a document holding one anywhere,
# even in a field nobody reads, is declined: only the odd documents have them.
_ANY = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**63), 2**64 - 1), st.floats(allow_nan=False, allow_infinity=False),
    _TEXT, st.lists(st.integers(-(2**63), 2**63 - 1), max_size=2),
    st.dictionaries(_TEXT, st.integers(0, 9), max_size=2),
)
_ODD = st.one_of(_ANY, st.integers(-(2**65), 2**65))
_EXACT = {
    "VARCHAR": _TEXT, "INTEGER": st.integers(-(2**31), 2**31 - 1), "BIGINT": st.integers(-(2**63), 2**63 - 1),
    "BOOLEAN": st.booleans(),
}


def _fields(members: tuple[tuple[str, str], ...], *, odd: bool) -> st.SearchStrategy[dict[str, Any]]:
    """Objects with some of ``members``, each of its type or null (``odd``: or anything), and maybe an unknown one."""
    value = {name: st.one_of(_EXACT[kind], st.none(), *([_ODD] if odd else [])) for name, kind in members}
    return st.fixed_dictionaries({}, optional={**value, "unknown": _ODD if odd else _ANY})


def _documents(*, odd: bool) -> st.SearchStrategy[bytes]:
    """Bodies of documents (pretty-printed or not, gzip or not) with clean or with odd values."""
    records = _fields(RECORD_MEMBERS, odd=odd)
    return st.builds(
        lambda header, records, indent, zipped: (gzip.compress if zipped else bytes)(
            json.dumps({**header, **({} if records is None else {"flow_logs": records})}, indent=indent).encode()
        ),
        _fields(HEADER_JSON, odd=odd),
        st.one_of(st.none(), st.lists(st.one_of(records, _ODD) if odd else records, max_size=3)),
        st.sampled_from([None, 1]),
        st.booleans(),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_documents(odd=False), min_size=1, max_size=6))
def test_generated_clean_documents_are_read_natively_as_duckdb_reads_them(bodies: list[bytes]) -> None:
    _, declined = _decoded(bodies)
    assert not declined.any()
    _assert_same_as_duckdb(bodies)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(_documents(odd=True), _documents(odd=False)), min_size=1, max_size=6))
def test_generated_documents_read_as_duckdb_reads_them(bodies: list[bytes]) -> None:
    _assert_same_as_duckdb(bodies)
