"""IBM Cloud Object Storage (or any S3-compatible store) through ``ibm_boto3``.

Authentication is IAM (API key + service instance id; the SDK's token manager fetches and refreshes
bearer tokens, and ``Credentials.iam_endpoint`` overrides the token URL) or HMAC keys (S3 v4
signatures). Failures become the plugin's error classes with a message that says what to fix;
messages name the endpoint, bucket and key but never a secret, and never echo the server's free
text (which could quote a request).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC
from pathlib import Path
from typing import Any, TypeVar

import ibm_boto3
import requests
from ibm_botocore import UNSIGNED
from ibm_botocore.client import Config
from ibm_botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    CredentialRetrievalError,
    ReadTimeoutError,
)
from ibm_botocore.exceptions import (
    ConnectionError as BotoConnectionError,
)

from cloudsql_cos_ts.errors import DownstreamError, DownstreamTimeout, NotFound, PluginError
from cloudsql_cos_ts.settings.datasource import Credentials
from cloudsql_cos_ts.storage.base import Listing, ObjectInfo
from cloudsql_cos_ts.storage.iam import iam_refused, iam_unreachable, token_url

_T = TypeVar("_T")
CONNECT_TIMEOUT_S = 5
READ_TIMEOUT_S = 30
MAX_ATTEMPTS = 4  # the first try and three retries (botocore's "max_attempts" counts retries only)
PROBE_ATTEMPTS = 1
"""Save & test's stores try each request once: it reports what the endpoint does now, and the retries'
back-off turned a refused connection into 2-5 s of waiting that could end in the stage's time limit."""

_clients: dict[tuple[str, Credentials, int], Any] = {}
_clients_lock = threading.Lock()


def _make_client(endpoint: str, credentials: Credentials, attempts: int) -> Any:
    config = Config(
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=READ_TIMEOUT_S,
        retries={"total_max_attempts": attempts, "mode": "standard"},
        max_pool_connections=16,
        s3={"addressing_style": "path"},
        signature_version={"iam": "oauth", "hmac": "s3v4", "none": UNSIGNED}[credentials.auth],
    )
    kwargs: dict[str, Any] = {"endpoint_url": endpoint, "config": config, "region_name": "us-east-1"}
    if credentials.auth == "iam":
        kwargs["ibm_api_key_id"] = credentials.api_key.reveal()
        kwargs["ibm_service_instance_id"] = credentials.service_instance_id or None
        if credentials.iam_endpoint:
            kwargs["ibm_auth_endpoint"] = token_url(credentials.iam_endpoint)
    elif credentials.auth == "hmac":
        kwargs["aws_access_key_id"] = credentials.hmac_access_key_id.reveal()
        kwargs["aws_secret_access_key"] = credentials.hmac_secret_access_key.reveal()
    return ibm_boto3.client("s3", **kwargs)


def client_for(endpoint: str, credentials: Credentials, attempts: int = MAX_ATTEMPTS) -> Any:
    """One shared client per endpoint, credentials and attempts: clients are thread-safe and costly to build."""
    key = (endpoint, credentials, attempts)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = _make_client(endpoint, credentials, attempts)
        return client


class CosStore:
    """A bucket; keys are full object keys inside it. ``attempts`` bounds the tries of each request."""

    def __init__(self, endpoint: str, bucket: str, credentials: Credentials, attempts: int = MAX_ATTEMPTS) -> None:
        self.endpoint = endpoint
        self.bucket = bucket
        self._credentials = credentials
        self._attempts = attempts

    @property
    def identity(self) -> str:
        return f"{self.endpoint}/{self.bucket}"

    def _call(self, action: Callable[[Any], _T], key: str | None = None) -> _T:
        with _mapped_errors(self.endpoint, self.bucket, key, self._credentials):
            return action(client_for(self.endpoint, self._credentials, self._attempts))

    def list(self, prefix: str, delimiter: str | None = None) -> Listing:
        def run(client: Any) -> Listing:
            listing = Listing()
            params: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix}
            if delimiter:
                params["Delimiter"] = delimiter
            for page in client.get_paginator("list_objects_v2").paginate(**params):
                listing.objects.extend(
                    ObjectInfo(
                        key=item["Key"],
                        size=int(item["Size"]),
                        etag=str(item["ETag"]).strip('"'),
                        last_modified=item["LastModified"].astimezone(UTC),
                    )
                    for item in page.get("Contents", ())
                )
                listing.prefixes.extend(p["Prefix"] for p in page.get("CommonPrefixes", ()))
            return listing

        return self._call(run)

    def get(self, key: str) -> tuple[bytes, str]:
        def run(client: Any) -> tuple[bytes, str]:
            answer = client.get_object(Bucket=self.bucket, Key=key)
            return answer["Body"].read(), str(answer["ETag"]).strip('"')

        return self._call(run, key)

    def head(self, key: str) -> ObjectInfo:
        def run(client: Any) -> ObjectInfo:
            answer = client.head_object(Bucket=self.bucket, Key=key)
            return ObjectInfo(
                key=key,
                size=int(answer["ContentLength"]),
                etag=str(answer["ETag"]).strip('"'),
                last_modified=answer["LastModified"].astimezone(UTC),
            )

        return self._call(run, key)

    def put(self, key: str, data: bytes) -> None:
        self._call(lambda client: client.put_object(Bucket=self.bucket, Key=key, Body=data), key)

    def put_file(self, key: str, path: Path) -> None:
        """The SDK's managed upload: in parts above its threshold, each read from the file as it is sent."""
        self._call(lambda client: client.upload_file(str(path), self.bucket, key), key)

    def get_file(self, key: str, path: Path) -> None:
        self._call(lambda client: client.download_file(self.bucket, key, str(path)), key)

    def delete(self, key: str) -> None:
        """S3's DELETE succeeds for a key that is already gone."""
        self._call(lambda client: client.delete_object(Bucket=self.bucket, Key=key), key)


@contextmanager
def _mapped_errors(endpoint: str, bucket: str, key: str | None, credentials: Credentials) -> Iterator[None]:
    try:
        yield
    except PluginError:
        raise
    except CredentialRetrievalError as exc:
        raise iam_refused(str(exc)) from None
    except ClientError as exc:
        raise _client_error(exc, endpoint, bucket, key, credentials) from None
    except ReadTimeoutError:
        raise DownstreamTimeout(
            f"the COS endpoint {endpoint} did not answer within {READ_TIMEOUT_S} s (bucket {bucket!r})"
        ) from None
    except (BotoConnectionError, ConnectionClosedError):
        raise DownstreamError(
            f"cannot reach the COS endpoint {endpoint}: check the region or endpoint of the location and "
            "that the plugin's machine can connect to it"
        ) from None
    except BotoCoreError as exc:
        raise DownstreamError(f"COS request to {endpoint} failed ({type(exc).__name__})") from None
    except requests.exceptions.RequestException:
        raise iam_unreachable(credentials) from None


def _client_error(
    exc: ClientError, endpoint: str, bucket: str, key: str | None, credentials: Credentials
) -> PluginError:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    where = f"bucket {bucket!r} at {endpoint}"
    if code == "NoSuchBucket":
        return NotFound(
            f"the {where} does not exist: check the bucket name and the region or endpoint of the location"
        )
    if code in ("NoSuchKey", "404") or status == 404:
        return NotFound(f"no object {key!r} in the {where}")
    if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch"):
        return DownstreamError(
            f"COS refused the HMAC keys ({code}) for the {where}: check the HMAC access key id and secret"
        )
    if code in ("AccessDenied", "403") or status == 403:
        who = "the API key's service ID" if credentials.auth == "iam" else "these credentials"
        return DownstreamError(
            f"access denied to the {where}: give {who} at least the Content Reader role on the bucket"
        )
    return DownstreamError(f"COS request to the {where} failed: {code or 'HTTP ' + str(status)}")
