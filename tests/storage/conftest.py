"""A real S3-compatible server (gofakes3) and a local IAM token endpoint for the COS tests.

The server binary is built once by ``scripts/s3server.sh`` (Go module, cached under .cache/). A
failed build fails the tests: COS access must be proven against a real server, never skipped.
Both servers listen on 127.0.0.1 with a free port and stop at the end of the session.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from tests.storage.s3_server import S3ServerError, s3_server

BUCKET = "flowlogs"
GOOD_API_KEY = "test-api-key-good"
HMAC_ID, HMAC_SECRET = "test-access-key", "test-secret-key-do-not-print"


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    try:
        with s3_server(BUCKET) as url:
            yield url
    except S3ServerError as exc:
        pytest.fail(str(exc))


class _TokenHandler(BaseHTTPRequestHandler):
    """IBM IAM's token exchange, reduced to what the SDK's token manager needs."""

    def do_POST(self) -> None:
        form = parse_qs(self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode())
        good = self.path == "/identity/token" and (
            form.get("apikey") == [GOOD_API_KEY] or form.get("grant_type") == ["refresh_token"]
        )
        if good:
            now = int(time.time())
            status, body = 200, {"access_token": "token-1", "refresh_token": "refresh-1", "token_type": "Bearer",
                                 "expires_in": 3600, "expiration": now + 3600}
        else:
            status, body = 400, {"errorCode": "BXNIM0415E", "errorMessage": "Provided API key could not be found."}
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture(scope="session")
def iam_endpoint() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TokenHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
