"""Datasource instances: built once per settings version; broken openings answered and retried."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloudsql_cos_ts.engines import registry
from cloudsql_cos_ts.errors import BadRequest, InternalError
from cloudsql_cos_ts.instances import InstanceManager
from cloudsql_cos_ts.settings.plugin import load_plugin_settings
from tests.plugin_host import datasource_context


@pytest.fixture
def manager(tmp_path: Path) -> InstanceManager:
    return InstanceManager(load_plugin_settings({"GF_PLUGIN_CACHE_DIR": str(tmp_path)}))


def test_one_instance_per_version(manager: InstanceManager) -> None:
    first = manager.get(datasource_context(version=1))
    assert manager.get(datasource_context(version=1)) is first
    assert manager.get(datasource_context(version=2)) is not first


def test_bad_settings_are_remembered_until_they_change(manager: InstanceManager) -> None:
    with pytest.raises(BadRequest, match="rowLimit"):
        manager.get(datasource_context({"rowLimit": -1}, version=1))
    assert manager.get(datasource_context({"rowLimit": 5}, version=2)).settings.row_limit == 5


def test_a_crash_while_opening_is_a_500_and_is_retried(
    manager: InstanceManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real = registry.create_engine

    def flaky(*args: object) -> object:
        calls.append(1)
        if len(calls) == 1:
            raise FileNotFoundError("a file of the installation is missing")
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(registry, "create_engine", flaky)  # instances imports it per build
    with pytest.raises(InternalError, match="could not open this datasource"):
        manager.get(datasource_context())
    assert manager.get(datasource_context()).engine.name == "duckdb"
    assert len(calls) == 2


def test_a_lake_location_starts_a_follower_that_stops_with_its_instance(
    manager: InstanceManager, tmp_path: Path
) -> None:
    source = tmp_path / "flows"
    source.mkdir()
    settings = {
        "source": str(source),
        "allowedLocations": [str(tmp_path / "lake")],
        "lakeLocation": str(tmp_path / "lake"),
    }
    first = manager.get(datasource_context(settings, version=1))
    assert first.follower is not None and first.follower.running
    assert first.follower.wait_for_pass(1, timeout_s=30)  # an empty source: a pass of empty days
    second = manager.get(datasource_context(settings, version=2))  # edited settings: the old instance goes
    assert not first.follower.running
    assert second.follower is not None and second.follower.running
    manager.close()  # the plugin stops
    assert not second.follower.running
    assert manager.get(datasource_context({"source": str(source)}, version=3)).follower is None
