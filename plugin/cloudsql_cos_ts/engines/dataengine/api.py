"""The IBM Data Engine (SQL Query) REST API v3, as far as the engine uses it, over ``urllib``.

Calls: submit a job (``POST /v3/sql_jobs``), read one (``GET /v3/sql_jobs/{id}``), list recent ones
(``GET /v3/sql_jobs``, for health) and stop one (``DELETE /v3/sql_jobs/{id}``: IBM's v3 reference
documented no cancellation, so this is best effort for compatible endpoints that offer it). Every
call names the instance with ``?instance_crn=`` and carries an IAM bearer token.

IBM's ``ibmcloudsql`` client is not used: it breaks at run time with pandas >= 2 and numpy 2
(``DataFrame.append``, ``np.NaN``) and drags ``pre-commit`` in as a runtime dependency; these few
HTTP calls are all the engine needs.

"Too many jobs" (429) is retried with exponential backoff on every call, 5xx answers only on calls
that are safe to repeat (a repeated submit could start a second paid job). Errors name the HTTP
status and the service's own message, never the token.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.engines.dataengine.waiting import Backoff, pause
from cloudsql_cos_ts.errors import BadRequest, DownstreamError, DownstreamTimeout, PluginError

DEFAULT_API_URL = "https://api.dataengine.cloud.ibm.com"
REQUEST_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 3.0  # a cancelled panel is answered after the stop request: keep that short
RATE_LIMIT_TRIES = 5
RATE_LIMIT_BACKOFF = Backoff(first_s=1.0, factor=2.0, max_s=8.0)
_RETRYABLE_IF_IDEMPOTENT = frozenset({502, 503, 504, 524})
_MAX_BODY_BYTES = 4 << 20
_MESSAGE_LIMIT = 2000


@dataclass(frozen=True)
class Job:
    """The fields of a job the engine reads (the service sends more)."""

    job_id: str
    status: str  # queued, running, completed, failed
    resultset_location: str = ""
    resultset_format: str = ""
    rows_returned: int | None = None
    error: str = ""
    error_message: str = ""

    @staticmethod
    def of(body: dict[str, Any]) -> Job:
        rows = body.get("rows_returned")
        return Job(
            job_id=str(body.get("job_id", "")),
            status=str(body.get("status", "")),
            resultset_location=str(body.get("resultset_location") or ""),
            resultset_format=str(body.get("resultset_format") or ""),
            rows_returned=rows if isinstance(rows, int) else None,
            error=str(body.get("error") or ""),
            error_message=str(body.get("error_message") or ""),
        )


@dataclass(frozen=True)
class _Answer:
    status: int
    body: dict[str, Any]


class DataEngineApi:
    """One Data Engine instance at one API URL; thread-safe (no state besides the token source)."""

    def __init__(
        self,
        url: str,
        instance_crn: str,
        token: Callable[[], str],
        *,
        rate_limit_tries: int = RATE_LIMIT_TRIES,
        rate_limit_backoff: Backoff = RATE_LIMIT_BACKOFF,
    ) -> None:
        self.url = url.rstrip("/")
        self.host = urlsplit(self.url).netloc  # for messages
        self._crn = instance_crn
        self._token = token
        self._tries = max(1, rate_limit_tries)
        self._backoff = rate_limit_backoff

    def submit(self, statement: str, cancel: CancelToken) -> str:
        """Start a job for ``statement``; its id."""
        answer = self._call("POST", "", cancel, what="the query", body={"statement": statement})
        job_id = answer.body.get("job_id")
        if not isinstance(job_id, str) or not job_id:
            raise DownstreamError(f"the Data Engine API at {self.host} accepted the query but sent no job id")
        return job_id

    def job(self, job_id: str, cancel: CancelToken) -> Job:
        return Job.of(self._call("GET", f"/{quote(job_id, safe='')}", cancel, what=f"job {job_id}").body)

    def recent_jobs(self, cancel: CancelToken) -> list[dict[str, Any]]:
        """The instance's recent batch jobs (a cheap call that proves the URL, token and CRN)."""
        jobs = self._call("GET", "", cancel, what="the job list", params={"type": "batch"}).body.get("jobs")
        return [job for job in jobs if isinstance(job, dict)] if isinstance(jobs, list) else []

    def stop(self, job_id: str) -> bool:
        """Ask the service to stop the job; False when it cannot (no such call, job already over, no answer)."""
        try:
            self._send("DELETE", f"/{quote(job_id, safe='')}", None, {}, timeout_s=STOP_TIMEOUT_S)
        except (PluginError, urllib.error.URLError, OSError):
            return False
        return True

    def _call(
        self,
        method: str,
        path: str,
        cancel: CancelToken,
        *,
        what: str,
        body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
    ) -> _Answer:
        """One API call with rate-limit retries; a :class:`PluginError` saying what failed otherwise."""
        delays = self._backoff.delays()
        waited = 0.0
        for attempt in range(1, self._tries + 1):
            remaining = cancel.remaining()
            timeout_s = REQUEST_TIMEOUT_S if remaining is None else max(0.5, min(REQUEST_TIMEOUT_S, remaining))
            try:
                answer = self._send(method, path, body, params or {}, timeout_s=timeout_s)
            except urllib.error.HTTPError as exc:
                status = exc.code
                retry = status == 429 or (method != "POST" and status in _RETRYABLE_IF_IDEMPOTENT)
                if not retry or attempt == self._tries:
                    raise self._refused(status, _read_json(exc), what, attempt, waited) from None
                delay = next(delays)
                pause(cancel, delay)
                waited += delay
                continue
            except TimeoutError:
                raise DownstreamTimeout(
                    f"the Data Engine API at {self.host} did not answer within {timeout_s:.0f} s ({what})"
                ) from None
            except (urllib.error.URLError, OSError):
                raise DownstreamError(
                    f"cannot reach the Data Engine API at {self.url}: check dataEngineApiUrl and that the plugin's "
                    "machine can connect to it"
                ) from None
            return answer
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _send(
        self, method: str, path: str, body: dict[str, Any] | None, params: dict[str, str], *, timeout_s: float
    ) -> _Answer:
        query = urlencode({"instance_crn": self._crn, **params})
        request = urllib.request.Request(
            f"{self.url}/v3/sql_jobs{path}?{query}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={
                "Authorization": f"Bearer {self._token()}",
                "Accept": "application/json",
                "Content-Type": "application/json",
            },
        )
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return _Answer(response.status, _parse(response.read(_MAX_BODY_BYTES)))

    def _refused(self, status: int, body: dict[str, Any], what: str, attempts: int, waited: float) -> PluginError:
        message = service_message(body)
        said = f": {message}" if message else ""
        if status == 429:
            return DownstreamError(
                f"the Data Engine instance is running its maximum number of query jobs (HTTP 429{said}); "
                f"{what} was still refused after {attempts} tries over {waited:.0f} s: wait for running jobs to "
                "finish (fewer panels refreshing at once) or raise the instance's job limit"
            )
        if status == 400:
            return BadRequest(f"Data Engine refused {what}{said}")
        if status == 401:
            return DownstreamError(
                f"the Data Engine API at {self.host} refused the IAM token (HTTP 401): check the API key in the "
                "datasource's secure settings"
            )
        if status == 403:
            return DownstreamError(
                f"the API key may not use the Data Engine instance (HTTP 403{said}): give its identity access to "
                "the instance in dataEngineInstanceCrn"
            )
        if status == 404:
            return BadRequest(
                f"the Data Engine API at {self.host} knows no {what} (HTTP 404{said}): check dataEngineApiUrl and "
                "dataEngineInstanceCrn"
            )
        return DownstreamError(f"the Data Engine API at {self.host} failed on {what} (HTTP {status}{said})")


def service_message(body: dict[str, Any]) -> str:
    """The service's own explanation: ``errors[0].message`` (v3), else ``message``; cut when long."""
    errors = body.get("errors")
    first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else body
    text = str(first.get("message") or "").strip()
    return text if len(text) <= _MESSAGE_LIMIT else text[:_MESSAGE_LIMIT] + " …"


def _parse(data: bytes) -> dict[str, Any]:
    try:
        value = json.loads(data) if data.strip() else {}
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return value if isinstance(value, dict) else {}


def _read_json(error: urllib.error.HTTPError) -> dict[str, Any]:
    try:
        return _parse(error.read(_MAX_BODY_BYTES))
    except OSError:
        return {}
