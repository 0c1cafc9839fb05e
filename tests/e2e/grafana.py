"""A real Grafana server for the end-to-end tests: configuration, process and HTTP API client.

Grafana runs API-only (the frontend bundle is not built), on a free loopback port, with every
writable path in a scratch folder, so a test run never touches the machine's own Grafana or the
cached build. Its log and the log of our plugin (which Grafana relays into its own) stay in the run
folder for a failed test to be read.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

PLUGIN_ID = "ibm-cloudsqlcos-datasource"
ADMIN_USER = ADMIN_PASSWORD = "admin"
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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


@dataclass(frozen=True)
class RunFolders:
    """Writable paths of one Grafana run: Grafana's defaults point into its read-only homepath."""

    root: Path

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def plugins(self) -> Path:
        return self.root / "plugins"

    @property
    def provisioning(self) -> Path:
        return self.root / "provisioning"

    @property
    def plugin_cache(self) -> Path:
        return self.root / "plugin-cache"

    @property
    def config(self) -> Path:
        return self.root / "grafana.ini"

    @property
    def console_log(self) -> Path:
        return self.root / "grafana-console.log"

    def create(self) -> None:
        for folder in (self.data, self.logs, self.plugins, self.plugin_cache):
            folder.mkdir(parents=True, exist_ok=True)
        for kind in ("datasources", "dashboards", "alerting", "plugins", "notifiers", "access-control"):
            (self.provisioning / kind).mkdir(parents=True, exist_ok=True)


def grafana_ini(folders: RunFolders, port: int) -> str:
    """The configuration: loopback only, no outbound calls, our unsigned plugin allowed."""
    return f"""\
app_mode = production
[paths]
data = {folders.data}
logs = {folders.logs}
plugins = {folders.plugins}
provisioning = {folders.provisioning}
[server]
http_addr = 127.0.0.1
http_port = {port}
[database]
type = sqlite3
[security]
admin_user = {ADMIN_USER}
admin_password = {ADMIN_PASSWORD}
disable_gravatar = true
[log]
mode = console file
level = info
[log.file]
format = text
[plugins]
allow_loading_unsigned_plugins = {PLUGIN_ID}
plugin_admin_enabled = false
public_key_retrieval_disabled = true
[plugin.{PLUGIN_ID}]
cache_dir = {folders.plugin_cache}
log_level = debug
[news]
news_feed_enabled = false
[analytics]
reporting_enabled = false
check_for_updates = false
check_for_plugin_updates = false
[unified_alerting]
enabled = true
min_interval = 10s
[alerting]
enabled = false
"""


@dataclass
class HttpAnswer:
    status: int
    body: Any


@dataclass
class GrafanaServer:
    """One Grafana process and a basic-auth JSON client for its HTTP API."""

    binary: Path
    homepath: Path
    folders: RunFolders
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    started_wall: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 120.0) -> GrafanaServer:
        self.folders.create()
        self.folders.config.write_text(grafana_ini(self.folders, self.port))
        self.started_wall = time.time()
        command = [str(self.binary), "server", f"--homepath={self.homepath}", f"--config={self.folders.config}"]
        with self.folders.console_log.open("wb") as console:
            self.process = subprocess.Popen(
                command, cwd=self.folders.root, stdin=subprocess.DEVNULL, stdout=console, stderr=subprocess.STDOUT,
                env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(self.folders.root)},
            )
        wait_for("Grafana /api/health answering", self._healthy, timeout_s)
        return self

    def _healthy(self) -> bool | None:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"Grafana exited with {self.process.returncode}:\n{self.log_tail()}")
        try:
            answer = self.request("GET", "/api/health")
        except OSError:
            return None
        return True if answer.status == 200 and answer.body.get("database") == "ok" else None

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def request(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> HttpAnswer:
        """Call the API as the admin; an HTTP error status is an answer, not an exception."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)
        credentials = base64.b64encode(f"{ADMIN_USER}:{ADMIN_PASSWORD}".encode()).decode()
        request.add_header("Authorization", f"Basic {credentials}")
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=180) as response:
                return HttpAnswer(response.status, _json_or_text(response.read()))
        except urllib.error.HTTPError as error:
            return HttpAnswer(error.code, _json_or_text(error.read()))

    def get(self, path: str) -> Any:
        answer = self.request("GET", path)
        assert answer.status == 200, f"GET {path} -> {answer.status}: {answer.body}"
        return answer.body

    def log_text(self) -> str:
        log_file = self.folders.logs / "grafana.log"
        return log_file.read_text(errors="replace") if log_file.exists() else self.folders.console_log.read_text()

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])


def _json_or_text(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")
