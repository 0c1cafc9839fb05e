"""QueryData's hand-written wire bytes: protobuf's own for the same answers, each frame let go once written."""

from __future__ import annotations

import sys

import pytest

from cloudsql_cos_ts.proto import backend_pb2 as pb
from cloudsql_cos_ts.query.answer import QueryAnswer, RequestAnswers
from cloudsql_cos_ts.server.wire import Reply, serialize

BIG = bytes(range(256)) * 700  # lengths needing two- and three-byte varints

CASES = [
    ("nothing", {}),
    ("one empty answer", {"A": QueryAnswer()}),
    ("one frame", {"A": QueryAnswer(frames=[b"arrow"])}),
    ("frames of every length class", {"A": QueryAnswer(frames=[b"", b"x" * 127, b"y" * 128, BIG])}),
    ("an error", {"B": QueryAnswer(status=413, error="too big: narrow the range", source="downstream")}),
    ("a non-ASCII refId and error", {"Ä": QueryAnswer(status=400, error="€ bad", source="downstream")}),
    (
        "several refIds",
        {
            "A": QueryAnswer(frames=[b"1", BIG]),
            "B": QueryAnswer(status=500, error="e", source="plugin"),
            "C": QueryAnswer(),
        },
    ),
]


def message(by_ref: dict[str, QueryAnswer]) -> pb.QueryDataResponse:
    """The response as protobuf builds it."""
    response = pb.QueryDataResponse()
    for ref, answer in by_ref.items():
        item = response.responses[ref]
        item.status = answer.status
        item.frames.extend(answer.frames)
        item.format = pb.ARROW
        if answer.error:
            item.error = answer.error
            item.errorSource = answer.source
    return response


@pytest.mark.parametrize(("name", "by_ref"), CASES, ids=[c[0] for c in CASES])
def test_the_wire_bytes_are_protobufs_own(name: str, by_ref: dict[str, QueryAnswer]) -> None:
    written = serialize(Reply(RequestAnswers("duckdb", by_ref)))
    expected = message(by_ref)
    assert pb.QueryDataResponse.FromString(written) == expected
    if len(by_ref) <= 1:  # with several entries only the map's order may differ
        assert written == expected.SerializeToString()


def test_the_answers_are_left_as_they_were_for_a_replay() -> None:
    answers = RequestAnswers("duckdb", {"A": QueryAnswer(frames=[b"f", b"g"])})
    first = serialize(Reply(answers))
    assert answers.by_ref["A"].frames == [b"f", b"g"] and serialize(Reply(answers)) == first


def test_each_frame_is_released_once_it_is_written() -> None:
    frame = bytes(BIG)
    reply = Reply(RequestAnswers("duckdb", {"A": QueryAnswer(frames=[frame])}))
    held = sys.getrefcount(frame)
    written = serialize(reply)
    assert sys.getrefcount(frame) == held - 1  # the reply (the only holder besides this test) let it go
    assert frame in written
    assert serialize(reply) == b""  # the reply was handed over once
