"""QueryData's response written as protobuf wire bytes by the plugin: each frame copied once, into the bytes sent.

Why: a ``QueryDataResponse`` message copies every frame into itself, and serialising it copies them
again, so a big answer existed three times (frame, message, wire bytes) before grpcio took its own
copy to send. Here grpcio's response serializer for QueryData (:func:`add_data_service`) writes the
message's wire format itself: the map entry and frame headers (tags and lengths), each frame's
bytes once into one ``bytes`` object of the exact size, and the rest of each answer (status, error)
serialised by protobuf. The call owns its :class:`Reply`, which lets each frame go as soon as it is
written, so the frame and the wire bytes never coexist longer than one copy takes.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import grpc

from cloudsql_cos_ts.proto import backend_pb2 as pb
from cloudsql_cos_ts.query.answer import QueryAnswer, RequestAnswers

_LENGTH_DELIMITED = 2
_ENTRY = (1 << 3) | _LENGTH_DELIMITED  # QueryDataResponse.responses = 1, a map entry
_KEY = (1 << 3) | _LENGTH_DELIMITED  # the entry's key = 1 (the refId)
_VALUE = (2 << 3) | _LENGTH_DELIMITED  # the entry's value = 2 (a DataResponse)
_FRAME = (1 << 3) | _LENGTH_DELIMITED  # DataResponse.frames = 1


@dataclass
class _Part:
    """One refId's answer on its way out: the frames still to write and the rest of its DataResponse."""

    ref: bytes
    frames: list[bytes]
    rest: bytes

    def value_size(self) -> int:
        return sum(_field_size(len(frame)) for frame in self.frames) + len(self.rest)

    def entry_size(self) -> int:
        return _field_size(len(self.ref)) + _field_size(self.value_size())


class Reply:
    """The answers of one call, as the call's own lists: the serializer empties them as it writes."""

    def __init__(self, answers: RequestAnswers) -> None:
        self._parts = [
            _Part(ref.encode(), list(answer.frames), _rest(answer)) for ref, answer in answers.by_ref.items()
        ]

    def take_parts(self) -> list[_Part]:
        """The parts, handed over once: the reply holds no frame afterwards."""
        parts, self._parts = self._parts, []
        return parts


def serialize(reply: Reply) -> bytes:
    """The ``QueryDataResponse`` wire bytes of ``reply``, each frame released once it is copied in."""
    parts = reply.take_parts()
    sizes = [part.entry_size() for part in parts]
    total = sum(_field_size(size) for size in sizes)
    sink = io.BytesIO(bytes(total))  # zero pages: memory is taken as the message is written
    for part, size in zip(parts, sizes, strict=True):
        sink.write(bytes([_ENTRY]) + _varint(size))
        sink.write(bytes([_KEY]) + _varint(len(part.ref)) + part.ref)
        sink.write(bytes([_VALUE]) + _varint(part.value_size()))
        while part.frames:
            frame = part.frames.pop(0)
            sink.write(bytes([_FRAME]) + _varint(len(frame)))
            sink.write(frame)
            del frame  # the last reference of a fresh answer's frame: its memory goes now
        sink.write(part.rest)
    if sink.tell() != total:
        raise AssertionError(f"QueryData response written as {sink.tell()} bytes, sized {total}")
    return sink.getvalue()  # the buffer itself: the sizes match, so no copy is made


def add_data_service(
    server: grpc.Server, query_data: Callable[[pb.QueryDataRequest, grpc.ServicerContext], Reply]
) -> None:
    """Serve ``pluginv2.Data/QueryData`` with :func:`serialize` as its response serializer."""
    handlers = {
        "QueryData": grpc.unary_unary_rpc_method_handler(
            query_data, request_deserializer=pb.QueryDataRequest.FromString, response_serializer=serialize
        )
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("pluginv2.Data", handlers),))
    server.add_registered_method_handlers("pluginv2.Data", handlers)  # type: ignore[attr-defined]  # stubs lag


def _rest(answer: QueryAnswer) -> bytes:
    """The DataResponse's fields other than its frames, serialised by protobuf."""
    response = pb.DataResponse(status=answer.status, format=pb.ARROW)
    if answer.error:
        response.error = answer.error
        response.errorSource = answer.source
    return response.SerializeToString()


def _field_size(length: int) -> int:
    """Bytes of a length-delimited field with a one-byte tag and a payload of ``length`` bytes."""
    return 1 + len(_varint(length)) + length


def _varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)
