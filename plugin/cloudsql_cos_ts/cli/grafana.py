"""Start a local Grafana with the built plugin, the sample data as a datasource, the dashboard and the alert.

Only used when the main job finds a Grafana server binary (``GRAFANA_BIN`` and ``GRAFANA_HOME``).
Everything Grafana writes stays below the output folder; it listens on loopback only, with anonymous
admin access, and stops after the given minutes or on Ctrl-C.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from cloudsql_cos_ts.cli.host import PLUGIN_ID

DASHBOARD_UID = "vpc-flow-logs-dashboard"


@dataclass(frozen=True)
class GrafanaSetup:
    binary: Path
    home: Path
    plugin_dir: Path  # the built dist/ folder
    data: Path  # the sample flow logs
    root: Path  # where Grafana's data, logs, plugins and provisioning go
    alert_rule: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _provision(setup: GrafanaSetup) -> Path:
    provisioning = setup.root / "provisioning"
    for folder in ("datasources", "dashboards", "alerting", "plugins", "notifiers"):
        (provisioning / folder).mkdir(parents=True, exist_ok=True)
    datasource = {
        "apiVersion": 1,
        "datasources": [
            {
                "name": "VPC flow logs",
                "uid": "vpc-flow-logs",
                "type": PLUGIN_ID,
                "access": "proxy",
                "jsonData": {"source": str(setup.data), "destination": str(setup.root / "results")},
            }
        ],
    }
    # JSON is valid YAML, and Grafana reads provisioning files as YAML.
    (provisioning / "datasources" / "cloudsql-cos-ts.yaml").write_text(json.dumps(datasource, indent=2))
    provider = {
        "apiVersion": 1,
        "providers": [
            {"name": "cloudsql-cos-ts", "type": "file", "options": {"path": str(setup.plugin_dir / "dashboards")}}
        ],
    }
    (provisioning / "dashboards" / "cloudsql-cos-ts.yaml").write_text(json.dumps(provider, indent=2))
    shutil.copy(setup.alert_rule, provisioning / "alerting" / setup.alert_rule.name)
    plugins = setup.root / "plugins"
    plugins.mkdir(parents=True, exist_ok=True)
    link = plugins / PLUGIN_ID
    if not link.exists():
        link.symlink_to(setup.plugin_dir, target_is_directory=True)
    return provisioning


def _command(setup: GrafanaSetup) -> list[str]:
    """``grafana server`` for the single binary of Grafana 10+, the old ``grafana-server`` otherwise."""
    if setup.binary.name == "grafana-server":
        return [str(setup.binary), "--homepath", str(setup.home)]
    return [str(setup.binary), "server", "--homepath", str(setup.home)]


def serve_grafana(setup: GrafanaSetup, minutes: float) -> int:
    port = _free_port()
    env = {
        **os.environ,
        "GF_PATHS_DATA": str(setup.root / "data"),
        "GF_PATHS_LOGS": str(setup.root / "logs"),
        "GF_PATHS_PLUGINS": str(setup.root / "plugins"),
        "GF_PATHS_PROVISIONING": str(_provision(setup)),
        "GF_SERVER_HTTP_ADDR": "127.0.0.1",
        "GF_SERVER_HTTP_PORT": str(port),
        "GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS": PLUGIN_ID,
        "GF_AUTH_ANONYMOUS_ENABLED": "true",
        "GF_AUTH_ANONYMOUS_ORG_ROLE": "Admin",
        "GF_ANALYTICS_REPORTING_ENABLED": "false",
        "GF_ANALYTICS_CHECK_FOR_UPDATES": "false",
    }
    log = (setup.root / "grafana.log").open("wb")
    process = subprocess.Popen(_command(setup), env=env, cwd=setup.home, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        if not _wait_healthy(base, process, timeout_s=120):
            print(f"Grafana did not start; see {setup.root / 'grafana.log'}")
            return 1
        print(f"Grafana is running: {base}/d/{DASHBOARD_UID} (stops in {minutes:g} min or on Ctrl-C)")
        process.wait(timeout=minutes * 60)
    except subprocess.TimeoutExpired:
        pass
    except KeyboardInterrupt:
        print("stopping Grafana")
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
    return 0


def _wait_healthy(base: str, process: subprocess.Popen[bytes], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"{base}/api/health", timeout=2) as answer:
                if answer.status == 200:
                    return True
        except OSError:
            time.sleep(0.5)
    return False
