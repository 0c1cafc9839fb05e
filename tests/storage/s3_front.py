"""A loopback front for the S3 test server that counts what a client asks and can stand in for distance.

gofakes3 answers in well under a millisecond and keeps no request log, so on its own it can neither
show how many listings and downloads a plugin made nor make them cost what they cost against a real
object store. The front forwards every request to gofakes3 unchanged (path-style URLs), counts it by
kind with the bytes it sent back, and can hold each request for a fixed delay before forwarding — a
stand-in for the round trip to a remote store, added per request as a store's latency is. A subclass
may refuse requests (``refusal``). Loopback only; each connection keeps one upstream connection.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self
from urllib.parse import parse_qs, unquote, urlsplit

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade"}


@dataclass(frozen=True)
class Refusal:
    status: int
    body: bytes
    content_type: str = "application/xml"


@dataclass(frozen=True)
class RequestCounts:
    """Requests by kind (``list``, ``get``, ``head``, ``put``, ``post``, ``delete``) and the bytes answered."""

    kinds: dict[str, int]
    bytes_out: int

    def __getitem__(self, kind: str) -> int:
        return self.kinds.get(kind, 0)

    def __sub__(self, before: RequestCounts) -> RequestCounts:
        kinds = {kind: self[kind] - before[kind] for kind in self.kinds}
        return RequestCounts(kinds, self.bytes_out - before.bytes_out)


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        """A client that goes away mid-request (a plugin process stopped by its test) is no failure to print."""


def request_kind(method: str, path: str) -> str:
    """``list`` for a bucket listing (a GET without an object key), else the method in lower case."""
    parts = urlsplit(path)
    has_key = bool(parts.path.lstrip("/").partition("/")[2])
    if method == "GET" and (not has_key or "list-type" in parse_qs(parts.query)):
        return "list"
    return method.lower()


class S3Front:
    """``url`` serves the S3 server at ``upstream``, each request held ``delay_s`` seconds first."""

    def __init__(self, upstream: str, delay_s: float = 0.0) -> None:
        self.upstream = urlsplit(upstream)
        self.delay_s = delay_s
        self._kinds: Counter[str] = Counter()
        self._log: list[tuple[str, str]] = []  # (kind, path without the query) of every request, in order
        self._list_prefixes: list[str] = []  # the prefix each list call asked for, in order
        self._bytes_out = 0
        self._lock = threading.Lock()
        self._server = _QuietServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def counts(self) -> RequestCounts:
        with self._lock:
            return RequestCounts(dict(self._kinds), self._bytes_out)

    def requests(self) -> list[tuple[str, str]]:
        """``(kind, path)`` of every forwarded request so far (the path is ``/bucket/key``)."""
        with self._lock:
            return list(self._log)

    def listed_prefixes(self) -> list[str]:
        """The ``prefix`` of every list call so far ("" when it named none)."""
        with self._lock:
            return list(self._list_prefixes)

    def refusal(self, handler: BaseHTTPRequestHandler) -> Refusal | None:
        """What to answer instead of forwarding ``handler``'s request (None: forward it)."""
        return None

    def _record(self, kind: str, path: str, sent: int) -> None:
        with self._lock:
            self._log.append((kind, unquote(urlsplit(path).path)))
            if kind == "list":
                self._list_prefixes.append(parse_qs(urlsplit(path).query).get("prefix", [""])[0])
            self._kinds[kind] += 1
            self._bytes_out += sent

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        front = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            upstream: http.client.HTTPConnection | None = None

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
                refused = front.refusal(self)
                if refused is not None:
                    self._answer(refused.status, {"Content-Type": refused.content_type}, refused.body)
                    return
                if front.delay_s:
                    time.sleep(front.delay_s)
                status, headers, data = self._upstream_call(body)
                kind = request_kind(self.command, self.path)
                front._record(kind, self.path, 0 if self.command == "HEAD" else len(data))
                self._answer(status, headers, data)

            def _upstream_call(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
                if self.upstream is None:
                    self.upstream = http.client.HTTPConnection(
                        front.upstream.hostname or "", front.upstream.port, timeout=60
                    )
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                try:
                    self.upstream.request(self.command, self.path, body=body or None, headers=headers)
                    answer = self.upstream.getresponse()
                    data = answer.read()
                except (OSError, http.client.HTTPException):
                    self.upstream.close()
                    raise
                dropped = _HOP_BY_HOP if self.command == "HEAD" else _HOP_BY_HOP | {"content-length"}
                return answer.status, {k: v for k, v in answer.getheaders() if k.lower() not in dropped}, data

            def _answer(self, status: int, headers: dict[str, str], data: bytes) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if "Content-Length" not in headers:  # a HEAD answer keeps the object's size
                    self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            def finish(self) -> None:
                super().finish()
                if self.upstream is not None:
                    self.upstream.close()

            def log_message(self, format: str, *args: object) -> None:
                return

        return Handler

    def serve(self) -> threading.Thread:
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        return thread

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Self:
        self.serve()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def s3_front(upstream: str, delay_s: float = 0.0) -> S3Front:
    """A front to use in ``with``: serving inside the block, closed after it."""
    return S3Front(upstream, delay_s)
