"""IBM Cloud IAM for the plugin's own calls: the token URL, bearer tokens and how refusals read.

COS clients (``cos.py``) hand the API key to ``ibm_boto3``, whose token manager exchanges it; the
Data Engine API client needs the same bearer token for plain HTTPS calls. Both use the SDK's
``DefaultTokenManager`` (one token per API key, refreshed in the background before it expires) and
the same error texts, which name the HTTP status and IAM's error code but never the key.
"""

from __future__ import annotations

import re

import requests
from ibm_botocore.credentials import DefaultTokenManager
from ibm_botocore.exceptions import CredentialRetrievalError

from cloudsql_cos_ts.errors import DownstreamError, PluginError
from cloudsql_cos_ts.settings.datasource import Credentials

_HTTP_CODE_RE = re.compile(r"HttpCode\((\d+)\)")
_IAM_CODE_RE = re.compile(r"ErrorCode: ([A-Z0-9]+)")


IBM_IAM_ENDPOINT = "https://iam.cloud.ibm.com"


def token_url(iam_endpoint: str | None) -> str:
    """IAM's token path below the configured endpoint (settings keep scheme and host only)."""
    return f"{(iam_endpoint or IBM_IAM_ENDPOINT).rstrip('/')}/identity/token"


def key_refused(status: str | int | None, iam_code: str | None) -> PluginError:
    """A refused API key, named by HTTP status and IAM's error code, never by IAM's prose or the key."""
    detail = ", ".join(part for part in (f"HTTP {status}" if status else "", iam_code or "") if part)
    return DownstreamError(
        f"the IBM Cloud API key was refused by IAM ({detail or 'no token'}): check the API key in the "
        "datasource's secure settings, and that it is not deleted or locked"
    )


def iam_refused(text: str) -> PluginError:
    """The error for the SDK's ``CredentialRetrievalError`` text."""
    status = _HTTP_CODE_RE.search(text)
    code = _IAM_CODE_RE.search(text)
    return key_refused(status.group(1) if status else None, code.group(1) if code else None)


def iam_unreachable(credentials: Credentials) -> PluginError:
    iam = token_url(credentials.iam_endpoint)
    return DownstreamError(
        f"cannot reach the IAM token endpoint {iam} to exchange the API key for a token: "
        "check the IAM endpoint setting and the network"
    )


class BearerTokens:
    """Bearer tokens for ``credentials.api_key``, cached by the SDK until shortly before they expire."""

    def __init__(self, credentials: Credentials) -> None:
        self._credentials = credentials
        endpoint = credentials.iam_endpoint
        self._manager = DefaultTokenManager(
            api_key_id=credentials.api_key.reveal(),
            auth_endpoint=token_url(endpoint) if endpoint else None,  # None: the SDK's own default
        )

    def token(self) -> str:
        """A valid token; a refused key or an unreachable IAM is a 502 that says which."""
        try:
            token = self._manager.get_token()
        except CredentialRetrievalError as exc:
            raise iam_refused(str(exc)) from None
        except requests.exceptions.RequestException:
            raise iam_unreachable(self._credentials) from None
        if not token:
            raise iam_refused("")
        return str(token)

    def close(self) -> None:
        """Stop the SDK's background refresh thread."""
        self._manager.stop_refresh_thread()
