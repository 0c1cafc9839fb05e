"""The S3-compatible test server (gofakes3) as a process on a free loopback port, for tests and benches.

The binary is built once by ``scripts/s3server.sh`` (Go module, cached under .cache/); the server keeps
its objects in memory and is gone with the process.
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 15


class S3ServerError(RuntimeError):
    """The server could not be built or did not start."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_binary() -> str:
    try:
        return subprocess.run(
            [str(REPO / "scripts" / "s3server.sh"), "path"], check=True, capture_output=True, text=True, timeout=300
        ).stdout.strip()
    except subprocess.CalledProcessError as exc:
        raise S3ServerError(f"the S3 test server could not be built: {exc}\n{exc.stderr}") from exc
    except (subprocess.SubprocessError, OSError) as exc:
        raise S3ServerError(f"the S3 test server could not be built: {exc}") from exc


@contextmanager
def s3_server(bucket: str) -> Iterator[str]:
    """The server's URL, with ``bucket`` created; stopped on exit."""
    port = free_port()
    process = subprocess.Popen(
        [server_binary(), "-backend", "memory", "-host", f"127.0.0.1:{port}", "-initialbucket", bucket],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise S3ServerError("the S3 test server did not start") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
