"""A key-checking front for the S3 test server: each bucket answers only its own HMAC access key.

gofakes3 accepts any signature, so on its own it cannot show which keys a client used. This proxy
reads the access key id from each request's SigV4 ``Authorization`` header (or the presigned
``X-Amz-Credential``), records ``(bucket, key id)``, refuses a key that is not the bucket's with
S3's ``403 AccessDenied``, and forwards everything else to gofakes3 unchanged (path-style URLs:
the bucket is the first path segment). Loopback only, stopped by the fixture that starts it.
"""

from __future__ import annotations

import http.client
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")
_DENIED = b'<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>'
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade"}


class KeyCheckingS3:
    """``url`` serves gofakes3 at ``upstream``; ``keys`` maps bucket -> the only access key id it takes."""

    def __init__(self, upstream: str, keys: Mapping[str, str]) -> None:
        self.upstream = urlsplit(upstream)
        self.keys = dict(keys)
        self.seen: set[tuple[str, str]] = set()  # (bucket, access key id) of every request
        self.denied = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # the names http.server calls
                self._forward()

            def do_HEAD(self) -> None:
                self._forward()

            def do_PUT(self) -> None:
                self._forward()

            def do_POST(self) -> None:
                self._forward()

            def do_DELETE(self) -> None:
                self._forward()

            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                bucket = urlsplit(self.path).path.lstrip("/").split("/", 1)[0]
                key_id = proxy.key_id(self.headers.get("Authorization", ""), self.path)
                with proxy._lock:
                    proxy.seen.add((bucket, key_id))
                    allowed = bucket in proxy.keys and proxy.keys[bucket] == key_id
                    proxy.denied += not allowed
                if not allowed:
                    self._answer(403, {"Content-Type": "application/xml"}, _DENIED)
                    return
                connection = http.client.HTTPConnection(proxy.upstream.hostname or "", proxy.upstream.port, timeout=30)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                    connection.request(self.command, self.path, body=body or None, headers=headers)
                    answer = connection.getresponse()
                    data = answer.read()
                    dropped = _HOP_BY_HOP if self.command == "HEAD" else _HOP_BY_HOP | {"content-length"}
                    kept = {k: v for k, v in answer.getheaders() if k.lower() not in dropped}
                    self._answer(answer.status, kept, data)
                finally:
                    connection.close()

            def _answer(self, status: int, headers: dict[str, str], data: bytes) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if "Content-Length" not in headers:  # a HEAD answer keeps the object's size
                    self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                return

        return Handler

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


@contextmanager
def key_checking_s3(upstream: str, keys: Mapping[str, str]) -> Iterator[KeyCheckingS3]:
    proxy = KeyCheckingS3(upstream, keys)
    thread = threading.Thread(target=proxy._server.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        proxy._server.shutdown()
        proxy._server.server_close()
