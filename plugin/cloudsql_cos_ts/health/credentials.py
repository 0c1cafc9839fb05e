"""Health stage "credentials": are the configured COS credentials accepted?

IAM is checked on its own, before any bucket is touched, by exchanging the API key for a token at
the IAM endpoint: a refused key then reads as a key problem, not as a bucket problem. HMAC keys have
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
from cloudsql_cos_ts.storage.factory import open_store

IBM_IAM_ENDPOINT = "https://iam.cloud.ibm.com"
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


def iam_token_url(credentials: Credentials) -> str:
    return f"{(credentials.iam_endpoint or IBM_IAM_ENDPOINT).rstrip('/')}/identity/token"


def iam_token_detail(credentials: Credentials, timeout_s: float) -> str:
    """Exchange the API key for a bearer token (the token itself is dropped at once)."""
    url = iam_token_url(credentials)
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
    raise DownstreamError(
        f"the IBM Cloud API key was refused by IAM ({_refusal(answer)}): check the API key in the "
        "datasource's secure settings, and that it is not deleted or locked"
    )


def _has_token(answer: requests.Response) -> bool:
    try:
        body = answer.json()
    except ValueError:
        return False
    return isinstance(body, dict) and bool(body.get("access_token"))


def _refusal(answer: requests.Response) -> str:
    """HTTP status and IAM's error code, never IAM's free text (it may quote the request)."""
    try:
        body = answer.json()
    except ValueError:
        body = {}
    code = body.get("errorCode") if isinstance(body, dict) else None
    if isinstance(code, str) and _IAM_ERROR_CODE.match(code):
        return f"HTTP {answer.status_code}, {code}"
    return f"HTTP {answer.status_code}"


def _hmac_detail(location: CosLocation, credentials: Credentials) -> str:
    store, prefix = open_store(location, credentials)
    # A missing bucket is reported after the signature was checked; the source stage names it.
    with contextlib.suppress(NotFound):
        store.list(prefix, "/")
    return f"HMAC signature accepted by {location.endpoint}"
