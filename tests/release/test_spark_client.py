"""The Spark Connect client as an optional bundle: out of the plugin's bundle, in its own zip, and
loaded by the packaged plugin only for a Spark data source.

The default engine (DuckDB) never needs the client, so the plugin's frozen bundle does not carry it
(its modules are neither frozen into the executable's archive nor copied beside it); the client is
``<id>-spark-client-<version>.<platform>.zip``, which an administrator unpacks outside the plugin folder
and names with ``spark_client`` in grafana.ini (``GF_PLUGIN_SPARK_CLIENT``). The packaged plugin is
started as Grafana starts it: without the client a Spark data source's Save & test and queries say
how to install it; with it configured, a DuckDB query maps none of the client's libraries into the
process, and a Spark data source loads the client and gets as far as connecting to its (closed)
server.

The packaged executable is ``$CLOUDSQL_PLUGIN_EXECUTABLE`` when set (the arm64 check points it at the
arm64 launcher), else dist/'s launcher for this machine. Run after ``bash scripts/build.sh``.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.plugin_host import PluginProcess, data_query, datasource_context
from tests.release.test_release_package import (
    DIST,
    ELF_MACHINES,
    EXECUTABLE,
    PLATFORMS,
    PLUGIN_ID,
    REPO,
    manifest,
)

CLIENT_FOLDER = REPO / "build" / "spark-client"
# The top-level modules only the Spark engine needs (scripts/bundle_spark_client.sh lists their
# distributions); google.rpc and google.api come with grpcio-status.
CLIENT_MODULES = {"pyspark", "py4j", "pandas", "pytz", "tzdata", "zstandard", "grpc_status"}
CLIENT_GOOGLE_PACKAGES = {"google.rpc", "google.api"}
# A Spark Connect URL nothing listens on: the client loads, then fails to connect.
CLOSED_SPARK_URL = "sc://127.0.0.1:9"
SPARK_TIMEOUT_S = 240  # importing the client and its retries; minutes under arm64 emulation


def client_zip_path(platform: str) -> Path:
    return REPO / "build" / "release" / f"{PLUGIN_ID}-spark-client-{manifest()['info']['version']}.{platform}.zip"


def frozen_modules(platform: str) -> set[str]:
    """The module names frozen into a platform's bundle: its byte-code files in runtime/ (the bundle
    keeps its modules as files, not in an archive inside the executable; tests/release/test_bundle_start.py)."""
    runtime = DIST / "backend" / platform / "runtime"
    names = set()
    for path in runtime.rglob("*.pyc"):
        parts = path.relative_to(runtime).with_suffix("").parts
        names.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def is_client_module(name: str) -> bool:
    return name.partition(".")[0] in CLIENT_MODULES or any(
        name == package or name.startswith(f"{package}.") for package in CLIENT_GOOGLE_PACKAGES
    )


@pytest.mark.parametrize("platform", PLATFORMS)
def test_default_bundle_carries_no_spark_client(platform: str) -> None:
    frozen = frozen_modules(platform)
    assert "cloudsql_cos_ts.engines.spark.client" in frozen and "duckdb" in frozen
    assert sorted(name for name in frozen if is_client_module(name)) == []
    runtime = DIST / "backend" / platform / "runtime"
    copied = [path.name for path in runtime.iterdir() if path.name.partition("-")[0] in CLIENT_MODULES]
    assert copied + [p for p in ("google/rpc", "google/api") if (runtime / p).exists()] == []


@pytest.mark.parametrize("platform", PLATFORMS)
def test_spark_client_zip(platform: str) -> None:
    """One top folder holding the platform's folder, the client's packages built for that CPU."""
    path = client_zip_path(platform)
    assert path.is_file(), f"{path.relative_to(REPO)} is not built: run bash scripts/build.sh"
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        top = f"{PLUGIN_ID}-spark-client/{platform}/"
        assert all(name.startswith(top) for name in names if not name.endswith("/")), "files outside the folder"
        for module in (
            "pyspark/sql/connect/session.py",
            "pandas/__init__.py",
            "zstandard/__init__.py",
            "grpc_status/rpc_status.py",
            "google/rpc/status_pb2.py",
        ):
            assert top + module in names, module
        assert not any("/pyspark/jars/" in name for name in names), "the Spark server's jars are not the client"
        (library,) = [n for n in names if n.startswith(f"{top}pandas/_libs/lib.cpython-")]
        header = archive.read(library)[:20]
    assert header[:4] == b"\x7fELF" and int.from_bytes(header[18:20], "little") == ELF_MACHINES[platform]


def packaged_launcher() -> Path:
    configured = os.environ.get("CLOUDSQL_PLUGIN_EXECUTABLE")
    return Path(configured) if configured else DIST / f"{EXECUTABLE}_{PLATFORMS[0]}"


@pytest.fixture
def packaged(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    launcher = packaged_launcher()
    assert launcher.is_file(), f"{launcher} is not built: run bash scripts/build.sh"
    monkeypatch.setenv("CLOUDSQL_PLUGIN_EXECUTABLE", str(launcher))
    yield tmp_path / "cache"


SPARK_CONTEXT = datasource_context({"engine": "spark", "sparkUrl": CLOSED_SPARK_URL}, uid="spark-client")


def spark_error(plugin: PluginProcess) -> str:
    """A query of a Spark datasource whose server is down: the error it answers with."""
    answer = plugin.query(
        data_query("A", {"rawSql": "SELECT 1 AS one"}), context=SPARK_CONTEXT, timeout=SPARK_TIMEOUT_S
    )
    assert answer["A"].status >= 400
    return str(answer["A"].error)


def spark_save_and_test(plugin: PluginProcess) -> str:
    from cloudsql_cos_ts.proto import backend_pb2 as pb

    request = pb.CheckHealthRequest(pluginContext=SPARK_CONTEXT)
    answer = plugin.diagnostics.CheckHealth(request, timeout=SPARK_TIMEOUT_S)
    assert answer.status == pb.CheckHealthResponse.ERROR
    return str(answer.message)


def mapped_client_files(plugin: PluginProcess) -> list[str]:
    """Files of the Spark client bundle mapped into the plugin process (its native extensions)."""
    assert plugin.process is not None
    maps = Path(f"/proc/{plugin.process.pid}/maps").read_text().splitlines()
    return sorted({line.split()[-1] for line in maps if str(CLIENT_FOLDER) in line})


def test_without_the_client_a_spark_datasource_says_how_to_install_it(packaged: Path) -> None:
    plugin = PluginProcess(cache_dir=packaged).start(timeout_s=120)
    try:
        messages = [spark_save_and_test(plugin), spark_error(plugin)]
    finally:
        plugin.stop()
    for message in messages:
        assert "optional Spark client bundle" in message and "spark_client = " in message, message


def test_with_the_client_duckdb_leaves_it_alone_and_spark_loads_it(packaged: Path) -> None:
    assert (CLIENT_FOLDER / packaged_launcher().name.removeprefix(f"{EXECUTABLE}_")).is_dir()
    plugin = PluginProcess(cache_dir=packaged, extra_env={"GF_PLUGIN_SPARK_CLIENT": str(CLIENT_FOLDER)}).start(120)
    try:
        answers = plugin.query(data_query("A", {"rawSql": "SELECT 42 AS answer"}), timeout=120)
        assert answers["A"].status == 200, answers["A"].error
        assert mapped_client_files(plugin) == []
        message = spark_error(plugin)
        # Loaded: the client's own connection error (refused, or unreachable after its retries).
        assert "Spark client bundle" not in message and "Spark Connect server" in message, message
        assert any("/pandas/" in path for path in mapped_client_files(plugin))
    finally:
        plugin.stop()
