"""The cancel token of a QueryData call, made only when a query asks for it, over a real gRPC call.

A request the result cache answers never makes one, so the token may be asked for late: after Grafana
already left, or close to the deadline. Whenever it is made, it must say what happened to the call.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import pytest

from cloudsql_cos_ts.cancel import CancelReason
from cloudsql_cos_ts.proto import backend_pb2 as pb
from cloudsql_cos_ts.proto import backend_pb2_grpc as pb_grpc
from cloudsql_cos_ts.server.services import CallToken

WAIT_S = 10.0


class TokenProbe(pb_grpc.DataServicer):
    """Asks for the call's token before or after the call ends, and reports why it fired."""

    def __init__(self) -> None:
        self.ask_late = False
        self.waiting = threading.Event()
        self.reasons: queue.Queue[CancelReason | None] = queue.Queue()

    def QueryData(self, request: pb.QueryDataRequest, context: grpc.ServicerContext) -> pb.QueryDataResponse:
        cancel = CallToken(context)
        try:
            if self.ask_late:
                self.waiting.set()
                _wait_for(lambda: not context.is_active())
                token = cancel()
            else:
                token = cancel()
                self.waiting.set()
                _wait_for(token.is_cancelled)
            self.reasons.put(token.reason)
        finally:
            cancel.close()
        return pb.QueryDataResponse()


def _wait_for(condition: object) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition() and time.monotonic() < deadline:  # type: ignore[operator]
        time.sleep(0.01)


@pytest.fixture
def probe(tmp_path: Path) -> Iterator[tuple[TokenProbe, pb_grpc.DataStub]]:
    server = grpc.server(ThreadPoolExecutor(max_workers=2))
    servicer = TokenProbe()
    pb_grpc.add_DataServicer_to_server(servicer, server)
    address = f"unix:{tmp_path / 'probe.sock'}"
    server.add_insecure_port(address)
    server.start()
    channel = grpc.insecure_channel(address)
    try:
        yield servicer, pb_grpc.DataStub(channel)
    finally:
        channel.close()
        server.stop(0)


@pytest.mark.parametrize(
    ("ask_late", "timeout_s", "expected"),
    [
        (False, None, "cancelled"),  # made while a query waits, then Grafana cancels
        (True, None, "cancelled"),  # made after Grafana left: fired at once
        (False, 0.5, "deadline"),  # made while a query waits, then the deadline passes
        (True, 0.5, "deadline"),  # made after the deadline passed
    ],
)
def test_the_token_says_what_happened_to_the_call_whenever_it_is_made(
    probe: tuple[TokenProbe, pb_grpc.DataStub], ask_late: bool, timeout_s: float | None, expected: CancelReason
) -> None:
    servicer, stub = probe
    servicer.ask_late = ask_late
    call = stub.QueryData.future(pb.QueryDataRequest(), timeout=timeout_s)
    assert servicer.waiting.wait(WAIT_S)
    if timeout_s is None:
        call.cancel()
    assert servicer.reasons.get(timeout=WAIT_S) == expected
