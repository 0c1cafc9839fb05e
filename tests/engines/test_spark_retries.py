"""Which Spark Connect failures the plugin's retry policy retries: pyspark's own choice, minus refusals."""

from __future__ import annotations

import grpc
import pytest

from cloudsql_cos_ts.engines.spark.client import load_pyspark
from cloudsql_cos_ts.engines.spark.retries import MAX_RETRIES, connection_refused, refusal_aware_policy

REFUSED = (
    "failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:9: "
    "Failed to connect to remote host: Connection refused"
)
RESET = "Socket closed"


class RpcFailure(grpc.RpcError, grpc.Call):
    """What gRPC raises for a failed call: a status code and its details."""

    def __init__(self, code: grpc.StatusCode, details: str) -> None:
        self._code, self._details = code, details

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self._details

    def trailing_metadata(self) -> tuple[()]:
        return ()

    def initial_metadata(self) -> tuple[()]:
        return ()

    def is_active(self) -> bool:
        return False

    def time_remaining(self) -> float:
        return 0.0

    def cancel(self) -> bool:
        return False

    def add_callback(self, callback: object) -> bool:
        return False


def wrapped(cause: BaseException) -> Exception:
    """pyspark's exception around the channel's, as the engine sees it."""
    try:
        raise RuntimeError("SparkConnectGrpcException") from cause
    except RuntimeError as exc:
        return exc


@pytest.mark.parametrize(
    ("failure", "retried", "refused"),
    [
        (RpcFailure(grpc.StatusCode.UNAVAILABLE, REFUSED), False, True),
        (wrapped(RpcFailure(grpc.StatusCode.UNAVAILABLE, REFUSED)), False, True),
        (RpcFailure(grpc.StatusCode.UNAVAILABLE, RESET), True, False),  # a server that went away: retried
        (RpcFailure(grpc.StatusCode.INVALID_ARGUMENT, "bad plan"), False, False),  # pyspark never retries it
        # the server answered: S3A could not connect to COS, which is no refusal by the Spark server
        (wrapped(RpcFailure(grpc.StatusCode.INTERNAL, "(java.net.ConnectException) Connection refused")), False, False),
        (ValueError("Connection refused"), False, False),  # not gRPC's: pyspark does not retry it either
    ],
    ids=["refused", "refused-wrapped", "unavailable", "invalid-argument", "server-quotes-a-refusal", "not-grpc"],
)
def test_refusals_are_not_retried_and_the_rest_as_pyspark_decides(
    failure: BaseException, retried: bool, refused: bool
) -> None:
    policy = refusal_aware_policy(load_pyspark().retry_policy)
    assert policy.can_retry(failure) is retried
    assert connection_refused(failure) is refused
    assert policy.max_retries == MAX_RETRIES
