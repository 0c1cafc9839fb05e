"""Errors that become per-query answers Grafana understands.

Every failure of one query is answered in that query's ``DataResponse`` (an HTTP-like status, a
message and an ``errorSource``) instead of failing the whole gRPC call, so the other queries of a
panel still render. Grafana counts ``downstream`` errors against the user or the data store and
``plugin`` errors against us; user mistakes are therefore ``downstream``.
"""

from __future__ import annotations

import traceback
import uuid
from typing import Literal

from cloudsql_cos_ts.log import log

ErrorSource = Literal["plugin", "downstream"]


def printable(text: str) -> str:
    """``text`` as valid UTF-8, lone surrogates written as ``\\udXXX``.

    Messages quote the user's SQL, and JSON lets a query carry lone surrogates (``"\\ud800"``, or
    their bytes, which ``json.loads`` passes through); protobuf refuses to encode them, and the
    whole call failed instead of the one query.
    """
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


class PluginError(Exception):
    """Base class: carries the status and error source Grafana shows for a failed query."""

    status: int = 500
    source: ErrorSource = "plugin"

    def __init__(self, message: str) -> None:
        message = printable(message)
        super().__init__(message)
        self.message = message


class BadRequest(PluginError):
    """The query, its macros or the datasource settings are wrong: the user can fix it."""

    status = 400
    source = "downstream"


class NotFound(PluginError):
    """A named thing (resource path, refId, object) does not exist."""

    status = 404
    source = "downstream"


class DownstreamError(PluginError):
    """The data store or engine failed (unreachable bucket, engine error that is not the user's SQL)."""

    status = 502
    source = "downstream"


class DownstreamTimeout(PluginError):
    """The query ran past its time limit, or Grafana gave up on it."""

    status = 504
    source = "downstream"


class QueryCancelled(PluginError):
    """Grafana cancelled the request (panel closed, browser navigated away, alert deadline)."""

    status = 499
    source = "downstream"


class InternalError(PluginError):
    """A bug of ours: the message says so, the details go to the log."""

    status = 500
    source = "plugin"


def reported_internal_error(what: str, exc: BaseException, *, told: str = "internal error in the plugin",
                            **context: object) -> InternalError:
    """Log an unexpected exception in full under a fresh reference, and give the error users see.

    The user's message names only the reference: the details (type, text, traceback) can quote
    settings or data, so they go to the Grafana server log, where the reference finds them.
    """
    reference = uuid.uuid4().hex[:12]
    log.error(
        what,
        reference=reference,
        error=f"{type(exc).__name__}: {exc}",
        traceback="".join(traceback.format_exception(exc))[-8000:],
        **context,
    )
    return InternalError(f"{told} (reference {reference}); the Grafana server log has the details")
