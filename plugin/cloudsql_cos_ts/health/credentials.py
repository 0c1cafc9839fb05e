"""Health stage "credentials": are the configured COS credentials accepted?

IAM is checked on its own, before any bucket is touched, by exchanging the API key for a token at
the IAM endpoint: a refused key then reads as a key problem, not as a bucket problem. The exchange
is a direct POST rather than the SDK's token manager (``storage/iam.py``) because Save & test must
end within its time budget and the token manager has no timeout; URL and messages are shared. HMAC keys have
no such exchange, so one signed request (a one-level listing of the location) proves them; a
missing bucket at that point still proves the signature and is left to the source stage to report.
"""

from __future__ import annotations

import contextlib
import re

import requests

from cloudsql_cos_ts.errors import DownstreamError, DownstreamTimeout, NotFound
from cloudsql_cos_ts.settings.datasource import Credentials, DatasourceSettings
from cloudsql_cos_ts.settings.locations import CosLocation
from cloudsql_cos_ts.storage.factory import probe_store
from cloudsql_cos_ts.storage.iam import key_refused, token_url

_API_KEY_GRANT = "urn:ibm:params:oauth:grant-type:apikey"
_IAM_ERROR_CODE = re.compile(r"^[A-Z]{2,8}\d{3,5}[A-Z]?$")  # e.g. BXNIM0415E; anything else is not echoed


def cos_locations(settings: DatasourceSettings) -> list[CosLocation]:
    return [loc for loc in (settings.source, settings.destination) if isinstance(loc, CosLocation)]


def check_credentials(settings: DatasourceSettings, timeout_s: float) -> str:
    locations = cos_locations(settings)
    if not locations:
        where = "a local folder" if settings.source or settings.destination else "a datasource without locations"
        return f"not needed for {where}"
    credentials = settings.credentials
    if credentials.auth == "iam":
        return iam_token_detail(credentials, timeout_s)
    if credentials.auth == "hmac":
        return _hmac_detail(locations[0], credentials)
    return "none: anonymous access (allowAnonymous is set)"


def iam_token_detail(credentials: Credentials, timeout_s: float) -> str:
    """Exchange the API key for a bearer token (the token itself is dropped at once)."""
    url = token_url(credentials.iam_endpoint)
    try:
        answer = requests.post(
            url,
            data={"grant_type": _API_KEY_GRANT, "apikey": credentials.api_key.reveal()},
            headers={"Accept": "application/json"},
            timeout=timeout_s,
        )
    except requests.Timeout:
        raise DownstreamTimeout(
            f"the IAM token endpoint {url} did not answer within {timeout_s:.0f} s: check the IAM endpoint "
            "setting and the network"
        ) from None
    except requests.RequestException:
        raise DownstreamError(
            f"cannot reach the IAM token endpoint {url}: check the IAM endpoint setting and the network"
        ) from None
    if answer.status_code == 200 and _has_token(answer):
        instance = credentials.service_instance_id
        return "IAM accepted the API key (token obtained)" + (f"; service instance {instance}" if instance else "")
    raise key_refused(answer.status_code, _iam_code(answer))


def _has_token(answer: requests.Response) -> bool:
    try:
        body = answer.json()
    except ValueError:
        return False
    return isinstance(body, dict) and bool(body.get("access_token"))


def _iam_code(answer: requests.Response) -> str | None:
    """IAM's error code from the answer, when it looks like one (IAM's free text may quote the request)."""
    try:
        body = answer.json()
    except ValueError:
        return None
    code = body.get("errorCode") if isinstance(body, dict) else None
    return code if isinstance(code, str) and _IAM_ERROR_CODE.match(code) else None


def _hmac_detail(location: CosLocation, credentials: Credentials) -> str:
    store, prefix = probe_store(location, credentials)
    # A missing bucket is reported after the signature was checked; the source stage names it.
    with contextlib.suppress(NotFound):
        store.list(prefix, "/")
    return f"HMAC signature accepted by {location.endpoint}"
