"""Spark's failures as the plugin's errors: the user's SQL is a 400, Spark being away a 502.

Messages keep Spark's own text (error class, position, suggestion) but not the server's JVM stack
trace and not the analysed plan pyspark appends, which are long and may quote data. A refused
connection names the address (host and port only), as it is the one thing to check. A failure of
the gRPC channel itself is named by its status code only: its text is the transport's debug string
(addresses, internal state), nothing a Grafana user can act on. A failure of S3A reading COS arrives
the same way but names what went wrong (access denied, no such bucket, endpoint unreachable), so it
keeps its first line and says what to check; the per-credential scheme (``s3a.py``) is shown as
``s3a://``, so no digest of the keys reaches a message. A failure the server answered with an error
condition of its own (a plan it refused) keeps Spark's message too: its gRPC status (INTERNAL) is as
generic as a broken channel's, and only the message says what failed.
"""

from __future__ import annotations

import re

from cloudsql_cos_ts.cancel import CancelToken, stopped_error
from cloudsql_cos_ts.engines.spark.client import Pyspark
from cloudsql_cos_ts.engines.spark.retries import connection_refused
from cloudsql_cos_ts.errors import BadRequest, DownstreamError, PluginError

# The error class of SQL's raise_error: the query refused its own data (the time-series lowering's bounds).
_USER_RAISED = "[USER_RAISED_EXCEPTION]"
_MESSAGE_LIMIT = 2000
_CUT_MARKERS = ("\n\nJVM stacktrace:", ";\n'")
_STATUS_IN_TEXT = re.compile(r"status = StatusCode\.(\w+)")
_CREDENTIAL_SCHEME = re.compile(r"\bs3a-[0-9a-f]+://")
# Spark Connect's text of a failure of S3A (or the AWS SDK under it) while listing or reading COS.
_STORAGE_FAILURE = re.compile(
    r"^\((java\.nio\.file\.AccessDeniedException|java\.io\.FileNotFoundException|java\.net\.[\w.]+|"
    r"org\.apache\.hadoop\.fs\.s3a\.[\w.]+|software\.amazon\.awssdk\.[\w.]+)\) "
)


def spark_message(exc: BaseException) -> str:
    """Spark's message without the stack trace and the plan that follows ``; `` at the end."""
    text = _CREDENTIAL_SCHEME.sub("s3a://", str(exc).strip() or type(exc).__name__)
    for marker in _CUT_MARKERS:
        text = text.split(marker, 1)[0]
    return text if len(text) <= _MESSAGE_LIMIT else text[:_MESSAGE_LIMIT] + " …"


def _grpc_status(exc: BaseException) -> str | None:
    """The gRPC status of a channel failure, wherever pyspark put it (the error, its cause, or its text)."""
    seen: BaseException | None = exc
    while seen is not None:
        code = getattr(seen, "code", None)
        if callable(code):
            status = code()
            return str(getattr(status, "name", status))
        seen = seen.__cause__ or seen.__context__
    found = _STATUS_IN_TEXT.search(str(exc))
    return found.group(1) if found and "_InactiveRpcError" in str(exc) else None


def _server_condition(exc: BaseException) -> str | None:
    """The error condition the server named: Spark answered (its message says what failed), where a failure
    of the channel itself has none."""
    condition = getattr(exc, "getCondition", None)
    found = condition() if callable(condition) else None
    return found if isinstance(found, str) else None


def _connect_detail(exc: BaseException) -> str:
    status = _grpc_status(exc)
    if status is not None:  # the channel's debug dump: name the status, not the dump
        return f"gRPC status {status}; check sparkUrl and that the server is running"
    return spark_message(exc)


def _storage_failure(exc: BaseException) -> DownstreamError | None:
    """S3A's failure to reach COS, with what to check; None for other failures."""
    found = _STORAGE_FAILURE.match(str(exc).strip())
    if found is None:
        return None
    detail = spark_message(exc).splitlines()[0]
    if found.group(1) == "java.nio.file.AccessDeniedException":
        hint = "COS refused the datasource's HMAC keys: check them and give them at least Content Reader on the bucket"
    else:
        hint = "check the datasource's COS endpoint, bucket and HMAC keys, and that the Spark cluster can reach COS"
    return DownstreamError(f"Spark could not read COS through S3A ({hint}): {detail}")


def map_spark_error(
    exc: Exception, pyspark: Pyspark, cancel: CancelToken, timeout_s: float, address: str
) -> PluginError:
    """The plugin error for a failure of a Spark call to ``address`` (host:port, never the token) made
    while ``cancel`` was watching it."""
    if cancel.is_cancelled():
        return stopped_error(cancel, timeout_s)
    if connection_refused(exc):  # not retried (retries.py): say at once where nothing listens
        return DownstreamError(
            f"the Spark Connect server at {address} cannot be reached: the connection was refused; check "
            "sparkUrl's host and port and that the server is running"
        )
    if isinstance(exc, (pyspark.analysis_error, *pyspark.user_errors)) or _USER_RAISED in str(exc):
        return BadRequest(f"Spark SQL error: {spark_message(exc)}")
    storage = _storage_failure(exc)
    if storage is not None:
        return storage
    if isinstance(exc, pyspark.connect_error) and _server_condition(exc):
        return DownstreamError(f"the Spark Connect server failed the query: {spark_message(exc)}")
    if isinstance(exc, pyspark.connect_error):
        return DownstreamError(f"the Spark Connect server failed or cannot be reached: {_connect_detail(exc)}")
    return DownstreamError(f"the Spark engine failed: {_connect_detail(exc)}")
