"""Spark failures as plugin errors: which ones are the user's query (400) and which Spark's (502)."""

from __future__ import annotations

import pytest

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.engines.spark.client import Pyspark
from cloudsql_cos_ts.engines.spark.errors import map_spark_error


class _Analysis(Exception):
    pass


class _Runtime(Exception):
    """Stands for pyspark's SparkRuntimeException, which is not among the user errors as a class."""


class _Connect(Exception):
    pass


class _Answered(_Connect):
    """Stands for pyspark's errors the server answered with an error condition (InvalidPlanInput)."""

    def getCondition(self) -> str:  # noqa: N802 (pyspark's name)
        return str(self).split("]")[0].lstrip("[")


class _Rpc(Exception):
    """Stands for grpc's error under pyspark's: the channel's status."""

    def code(self) -> str:
        return "INTERNAL"


_PYSPARK = Pyspark(builder=None, retry_policy=None, analysis_error=_Analysis, user_errors=(), connect_error=_Connect)


@pytest.mark.parametrize(
    ("failure", "status"),
    [
        (_Analysis("[UNRESOLVED_COLUMN] x"), 400),
        # raise_error in the lowered SQL (TS_SEGMENT_BY_TIME's bound on its windows): the query's own refusal
        (_Runtime("[USER_RAISED_EXCEPTION] TS_SEGMENT_BY_TIME(ts, window, step): too many SQLSTATE: P0001"), 400),
        (_Runtime("[INTERNAL_ERROR] the executor died"), 502),
    ],
)
def test_status_of_a_spark_failure(failure: Exception, status: int) -> None:
    error = map_spark_error(failure, _PYSPARK, CancelToken(), 30.0, "127.0.0.1:15002")
    assert error.status == status
    assert str(failure).split("] ")[1].split(":")[0] in str(error)


@pytest.mark.parametrize(
    ("failure", "says"),
    [
        # W6: Spark named the cause under the generic INTERNAL status
        (
            _Answered("[CONNECT_INVALID_PLAN.DATAFRAME_NOT_FOUND] No DataFrame with id 1 is found"),
            "DATAFRAME_NOT_FOUND",
        ),
        (_Connect("<_InactiveRpcError of RPC that terminated with: status = StatusCode.INTERNAL>"), "gRPC status"),
    ],
)
def test_a_failure_spark_answered_keeps_its_message_a_channel_failure_its_status(failure: Exception, says: str) -> None:
    failure.__cause__ = _Rpc()
    error = map_spark_error(failure, _PYSPARK, CancelToken(), 30.0, "127.0.0.1:15002")
    assert error.status == 502
    assert says in str(error) and "_InactiveRpcError" not in str(error)
