"""gRPC core's settings: the plugin process serves its socket on the thread that polls gRPC's queue."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cloudsql_cos_ts.server.grpc_core import GRPC_EXPERIMENTS, configure_grpc_core
from tests.plugin_host import PluginProcess

CALLS = 200


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, GRPC_EXPERIMENTS),
        ({"GRPC_EXPERIMENTS": ""}, ""),  # grpcio's own defaults, chosen on purpose (the W2 baseline)
        ({"GRPC_EXPERIMENTS": "-multiping"}, "-multiping"),
    ],
)
def test_a_value_already_in_the_environment_is_kept(environ: dict[str, str], expected: str) -> None:
    configure_grpc_core(environ)
    assert environ["GRPC_EXPERIMENTS"] == expected


def context_switches_by_thread_name(pid: int) -> dict[str, int]:
    """Voluntary and forced context switches of the process's threads, summed per thread name."""
    switches: dict[str, int] = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            name = Path(f"/proc/{pid}/task/{tid}/comm").read_text().strip()
            status = Path(f"/proc/{pid}/task/{tid}/status").read_text()
        except OSError:  # the thread ended meanwhile
            continue
        fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
        count = int(fields["voluntary_ctxt_switches"]) + int(fields["nonvoluntary_ctxt_switches"])
        switches[name] = switches.get(name, 0) + count
    return switches


@pytest.mark.parametrize(
    ("extra_env", "served_by_event_engine"),
    [({}, False), ({"GRPC_EXPERIMENTS": ""}, True)],
    ids=["plugin-settings", "grpcio-defaults"],
)
def test_calls_wake_event_engine_threads_only_on_grpcio_defaults(
    tmp_path: Path, extra_env: dict[str, str], served_by_event_engine: bool
) -> None:
    """With EventEngine's listener every call wakes its threads (one more hand-over per event); with
    iomgr's, set by the plugin, the Python thread polling the completion queue reads the socket."""
    plugin = PluginProcess(tmp_path / "cache", extra_env=extra_env).start()
    try:
        assert plugin.process is not None
        for _ in range(5):  # the connection and its first streams settle
            plugin.health_status("plugin")
        before = context_switches_by_thread_name(plugin.process.pid)
        for _ in range(CALLS):
            plugin.health_status("plugin")
        after = context_switches_by_thread_name(plugin.process.pid)
    finally:
        plugin.stop()
    woken = after.get("event_engine", 0) - before.get("event_engine", 0)
    assert (woken >= CALLS) is served_by_event_engine, f"EventEngine threads woke {woken} times in {CALLS} calls"
