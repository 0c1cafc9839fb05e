"""Spark's failures as the plugin's errors: the user's SQL is a 400, Spark being away a 502.

Messages keep Spark's own text (error class, position, suggestion) but not the server's JVM stack
trace and not the analysed plan pyspark appends, which are long and may quote data.
"""

from __future__ import annotations

from cloudsql_cos_ts.cancel import CancelToken, stopped_error
from cloudsql_cos_ts.engines.spark.client import Pyspark
from cloudsql_cos_ts.errors import BadRequest, DownstreamError, PluginError

_MESSAGE_LIMIT = 2000
_CUT_MARKERS = ("\n\nJVM stacktrace:", ";\n'")


def spark_message(exc: BaseException) -> str:
    """Spark's message without the stack trace and the plan that follows ``; `` at the end."""
    text = str(exc).strip() or type(exc).__name__
    for marker in _CUT_MARKERS:
        text = text.split(marker, 1)[0]
    return text if len(text) <= _MESSAGE_LIMIT else text[:_MESSAGE_LIMIT] + " …"


def map_spark_error(exc: Exception, pyspark: Pyspark, cancel: CancelToken, timeout_s: float) -> PluginError:
    """The plugin error for a failure of a Spark call made while ``cancel`` was watching it."""
    if cancel.is_cancelled():
        return stopped_error(cancel, timeout_s)
    if isinstance(exc, (pyspark.analysis_error, *pyspark.user_errors)):
        return BadRequest(f"Spark SQL error: {spark_message(exc)}")
    if isinstance(exc, pyspark.connect_error):
        return DownstreamError(f"the Spark Connect server failed or cannot be reached: {spark_message(exc)}")
    return DownstreamError(f"the Spark engine failed: {spark_message(exc)}")
