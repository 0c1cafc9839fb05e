"""The Grafana-less host (tests/host/*.go) as a process for the tests: build, start, call, stop.

The host is built by scripts/host_build.sh (a no-op when up to date) and started as
``grafana-less-host serve``; it prints one line ``{"listening": URL}`` once the plugin has
handshaken. Its stderr (the host's log and the plugin's, relayed by go-plugin) goes to a file the
failing test can read.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

REPO = Path(__file__).resolve().parents[2]
PLUGIN_ID = "ibm-cloudsqlcos-datasource"
EXECUTABLE = "gpx_cloudsql_cos_ts_linux_amd64"
# The first build downloads the Go modules and compiles the SDK: minutes on a small machine.
BUILD_TIMEOUT_S = 900
START_TIMEOUT_S = 120
T = TypeVar("T")


def wait_for(what: str, probe: Callable[[], T | None], timeout_s: float, interval_s: float = 0.5) -> T:
    """Poll ``probe`` until it returns something other than None; fail naming ``what`` after the bound."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if value is not None:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not reached within {timeout_s:.0f}s")
        time.sleep(interval_s)


def host_binary() -> Path:
    """Build (or find up to date) the host; a failed build raises with the build's output."""
    built = subprocess.run(["bash", str(REPO / "scripts" / "host_build.sh")], cwd=REPO, capture_output=True,
                           text=True, timeout=BUILD_TIMEOUT_S, check=False)
    if built.returncode != 0:
        raise RuntimeError(f"scripts/host_build.sh failed ({built.returncode}):\n{built.stderr[-4000:]}")
    return Path(built.stdout.strip().splitlines()[-1])


def dist_folder() -> Path:
    """The plugin folder the test script points at (dist/ unless $CLOUDSQL_PLUGIN_EXECUTABLE says otherwise)."""
    configured = os.environ.get("CLOUDSQL_PLUGIN_EXECUTABLE")
    dist = Path(configured).parent if configured else REPO / "dist"
    missing = [name for name in (EXECUTABLE, "plugin.json", "module.js") if not (dist / name).exists()]
    assert not missing, f"{dist} lacks {missing}: build it first (bash scripts/build.sh)"
    return dist


@dataclass
class HttpAnswer:
    status: int
    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass
class HostProcess:
    """One ``grafana-less-host serve`` process and a JSON client for its HTTP front."""

    binary: Path
    plugin_dir: Path
    provisioning: Path
    log: Path
    environment: Mapping[str, str] = field(default_factory=dict)  # the host's own, for $VAR expansion
    process: subprocess.Popen[bytes] | None = None
    url: str = ""

    def command(self) -> list[str]:
        return [str(self.binary), "serve", "-plugin-dir", str(self.plugin_dir), "-provisioning",
                str(self.provisioning), "-listen", "127.0.0.1:0"]

    def start(self, timeout_s: float = START_TIMEOUT_S) -> HostProcess:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as stderr:
            self.process = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                            stderr=stderr, env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                                                                **self.environment})
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], timeout_s)
        line = self.process.stdout.readline() if ready else b""
        if not line:
            self.stop()
            raise RuntimeError(f"the host announced no address within {timeout_s}s "
                               f"(exit {self.process.returncode}):\n{self.log_tail()}")
        self.url = json.loads(line)["listening"]
        return self

    def stop(self) -> int | None:
        """SIGTERM, then the exit code (the host stops the plugin first)."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        return self.process.returncode

    def request(self, method: str, path: str, body: Any = None, headers: Mapping[str, str] | None = None,
                timeout_s: float = 180) -> HttpAnswer:
        """An HTTP error status is an answer, not an exception."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as response:
                return HttpAnswer(response.status, _json_or_text(response.read()), dict(response.headers))
        except urllib.error.HTTPError as error:
            return HttpAnswer(error.code, _json_or_text(error.read()), dict(error.headers))

    def get(self, path: str) -> Any:
        answer = self.request("GET", path)
        assert answer.status == 200, f"GET {path} -> {answer.status}: {answer.body}"
        return answer.body

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def _json_or_text(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")
