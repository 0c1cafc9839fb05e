"""A key-checking front for the S3 test server: each bucket answers only its own HMAC access key.

gofakes3 accepts any signature, so on its own it cannot show which keys a client used. This proxy
reads the access key id from each request's SigV4 ``Authorization`` header (or the presigned
``X-Amz-Credential``), records ``(bucket, key id)``, refuses a key that is not the bucket's with
S3's ``403 AccessDenied``, and forwards everything else to gofakes3 unchanged (path-style URLs:
the bucket is the first path segment). Loopback only, stopped by the fixture that starts it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from tests.storage.s3_front import Refusal, S3Front

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")
_DENIED = b'<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>'


class KeyCheckingS3(S3Front):
    """``url`` serves gofakes3 at ``upstream``; ``keys`` maps bucket -> the only access key id it takes."""

    def __init__(self, upstream: str, keys: Mapping[str, str]) -> None:
        super().__init__(upstream)
        self.keys = dict(keys)
        self.seen: set[tuple[str, str]] = set()  # (bucket, access key id) of every request
        self.denied = 0

    def refusal(self, handler: BaseHTTPRequestHandler) -> Refusal | None:
        bucket = urlsplit(handler.path).path.lstrip("/").split("/", 1)[0]
        key_id = self.key_id(handler.headers.get("Authorization", ""), handler.path)
        with self._lock:
            self.seen.add((bucket, key_id))
            allowed = bucket in self.keys and self.keys[bucket] == key_id
            self.denied += not allowed
        return None if allowed else Refusal(403, _DENIED)

    @staticmethod
    def key_id(authorization: str, path: str) -> str:
        found = _CREDENTIAL.search(authorization)
        if found:
            return found.group(1)
        presigned = parse_qs(urlsplit(path).query).get("X-Amz-Credential", [""])[0]
        return presigned.split("/", 1)[0]

    def keys_used(self, bucket: str) -> set[str]:
        with self._lock:
            return {key for seen_bucket, key in self.seen if seen_bucket == bucket}


def key_checking_s3(upstream: str, keys: Mapping[str, str]) -> KeyCheckingS3:
    """A key-checking front to use in ``with``: serving inside the block, closed after it."""
    return KeyCheckingS3(upstream, keys)
