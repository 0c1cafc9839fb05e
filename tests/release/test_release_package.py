"""The built plugin folder ``dist/`` and the release zip against the catalog's packaging rules.

Grafana's plugin validator (``plugincheck2``) cannot be fetched on the build machines, so this
module encodes the rules it applies to an archive, as documented for plugin.json and the plugin
folder: the required plugin.json fields, a readable name and a catalog category, links and
screenshots that exist, a LICENSE *file*, a plugin-page README without relative links, no symlinks,
the backend executable of every platform with its executable bit and built for that platform's
CPU, and the archive layout Grafana's installer expects (one top folder named after the plugin id; a
zip per platform holding that platform's executable only, and, when several platforms are built, one
zip holding every platform's executable, which installs on any of them). Its Go-only rules (the
backend binary must be built with Go's plugin SDK) cannot be met by a Python backend and are not
checked; docs/signing.md says why. The size budgets are the project's own (docs/packaging.md has the figures).

Run after ``bash scripts/build.sh``: a missing build is a failure, not a skip. The platforms that
must be there are ``$CLOUDSQL_RELEASE_PLATFORMS`` (the release script asks for linux_amd64 and
linux_arm64), by default linux_amd64, the one the test command builds; any other platform found in
``dist/`` is checked as well.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import stat
import subprocess
import zipfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
DIST = REPO / "dist"
PLUGIN_ID = "ibm-cloudsqlcos-datasource"
EXECUTABLE = "gpx_cloudsql_cos_ts"
# The ELF e_machine of each platform's CPU (x86-64, AArch64): an executable for the wrong one would
# make Grafana fail with "exec format error".
ELF_MACHINES = {"linux_amd64": 0x3E, "linux_arm64": 0xB7}
PLATFORMS = sorted(
    set(os.environ.get("CLOUDSQL_RELEASE_PLATFORMS", "linux_amd64").split())
    | {p.name.removeprefix(f"{EXECUTABLE}_") for p in DIST.glob(f"{EXECUTABLE}_linux_*")}
)
# The categories the catalog files a data source under (plugin.json schema, "category").
CATEGORIES = {"tsdb", "logging", "cloud", "tracing", "profiling", "sql", "enterprise", "iot", "other"}
# The budgets of a platform's zip (the Spark Connect client is the optional bundle that keeps it under;
# docs/packaging.md has the figures). The zip with every platform is about their sum, for mixed fleets.
ZIP_BUDGET_BYTES = 100 * 1000 * 1000
UNPACKED_BUDGET_BYTES = 300 * 1000 * 1000
# Markdown links and images whose target has no scheme: the catalog page cannot resolve them.
RELATIVE_LINK = re.compile(r"!?\[[^\]]*\]\((?!https?://|mailto:|#)([^)\s]+)")
HTML_RELATIVE_LINK = re.compile(r"""(?:src|href)=["'](?!https?://|mailto:|#)([^"']+)""")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Shared libraries under the GPL without a runtime-library exception: the Apache-2.0 plugin may not
# ship them (GNU readline comes with CPython's readline module; gdbm with dbm.gnu).
GPL_ONLY_LIBRARIES = re.compile(r"^lib(readline|gdbm|gdbm_compat)\.so")


@cache
def manifest() -> dict[str, Any]:
    path = DIST / "plugin.json"
    assert path.is_file(), "dist/ is not built: run bash scripts/build.sh"
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def release_path(platform: str) -> Path:
    """A platform's zip; ``any`` is the zip with every platform (no platform in its name)."""
    suffix = "" if platform == "any" else f".{platform}"
    return REPO / "build" / "release" / f"{PLUGIN_ID}-{manifest()['info']['version']}{suffix}.zip"


@cache
def release(platform: str) -> zipfile.ZipFile:
    path = release_path(platform)
    assert path.is_file(), f"{path.relative_to(REPO)} is not built: run bash scripts/build.sh"
    # The frontend tests rebuild dist/ on their own without zipping it again.
    newest = max(entry.stat().st_mtime for entry in DIST.iterdir() if entry.is_file())
    assert path.stat().st_mtime >= newest, "the zip is older than dist/: run bash scripts/package_release.sh"
    return zipfile.ZipFile(path)


def package_version() -> str:
    parser = configparser.ConfigParser()
    parser.read(REPO / "setup.cfg")
    return parser["metadata"]["version"]


def is_absolute_url(value: object) -> bool:
    return isinstance(value, str) and re.match(r"^https://[^\s/]+\.[^\s/]+", value) is not None


def check_required_fields(plugin: dict[str, Any]) -> None:
    missing = [key for key in ("id", "type", "name", "info", "dependencies") if not plugin.get(key)]
    missing += [f"info.{key}" for key in ("keywords", "logos", "updated", "version") if not plugin["info"].get(key)]
    missing += [f"info.logos.{key}" for key in ("small", "large") if not plugin["info"]["logos"].get(key)]
    if not plugin["dependencies"].get("grafanaDependency"):
        missing.append("dependencies.grafanaDependency")
    assert missing == []


def check_id_and_name(plugin: dict[str, Any]) -> None:
    assert plugin["id"] == PLUGIN_ID and re.fullmatch(r"[a-z0-9]+-[a-z0-9]+-datasource", plugin["id"])
    name = plugin["name"]
    assert " " in name and name != name.lower(), f"{name!r} is not a readable catalog name"


def check_category_and_capabilities(plugin: dict[str, Any]) -> None:
    assert plugin["type"] == "datasource" and plugin.get("category") in CATEGORIES
    assert plugin["backend"] is True and plugin["executable"] == EXECUTABLE
    assert not plugin.get("alerting") or plugin["backend"], "alerting needs a backend"


def check_author_and_links(plugin: dict[str, Any]) -> None:
    info = plugin["info"]
    assert is_absolute_url(info["author"].get("url")), info["author"]
    assert info["links"], "info.links is empty"
    for link in info["links"]:
        assert link.get("name") and is_absolute_url(link.get("url")), link


def check_version_and_date_from_the_build(plugin: dict[str, Any]) -> None:
    info = plugin["info"]
    assert info["version"] == package_version()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", info["updated"]), info["updated"]
    assert "%" not in json.dumps(plugin), "a build placeholder was left in plugin.json"


def check_logos_and_screenshots(plugin: dict[str, Any]) -> None:
    info = plugin["info"]
    assert info["screenshots"], "info.screenshots is empty"
    for shot in info["screenshots"]:
        assert shot.get("name"), shot
        assert (DIST / shot["path"]).read_bytes().startswith(PNG_SIGNATURE), shot["path"]
    for logo in info["logos"].values():
        assert "<svg" in (DIST / logo).read_text(), logo


def check_includes_exist(plugin: dict[str, Any]) -> None:
    for include in plugin.get("includes", []):
        assert (DIST / include["path"]).is_file(), include


MANIFEST_RULES: dict[str, Callable[[dict[str, Any]], None]] = {
    "required fields": check_required_fields,
    "id and readable name": check_id_and_name,
    "category and capabilities": check_category_and_capabilities,
    "author url and links": check_author_and_links,
    "version and date set by the build": check_version_and_date_from_the_build,
    "logos and screenshots in dist": check_logos_and_screenshots,
    "included dashboards in dist": check_includes_exist,
}


@pytest.mark.parametrize("rule", MANIFEST_RULES)
def test_plugin_json(rule: str) -> None:
    MANIFEST_RULES[rule](manifest())


def test_license_changelog_and_readme_are_files() -> None:
    for name in ("LICENSE", "CHANGELOG.md", "README.md"):
        assert (DIST / name).is_file(), f"dist/{name} is not a file"
    assert "Apache License" in (DIST / "LICENSE").read_text()


@pytest.mark.parametrize("name", ["README.md", "CHANGELOG.md"])
def test_plugin_page_documents_have_no_relative_links(name: str) -> None:
    text = (DIST / name).read_text()
    assert RELATIVE_LINK.findall(text) + HTML_RELATIVE_LINK.findall(text) == []


def test_plugin_readme_is_the_user_facing_one() -> None:
    """The catalog shows dist/README.md: the user README with screenshots, not the developer one."""
    text = (DIST / "README.md").read_text()
    assert text.startswith(f"# {manifest()['name']}\n")
    assert "screenshots/" in text and "scripts/test.sh" not in text


def in_zip_of(platform: str, path: Path) -> bool:
    """Whether a file of dist/ belongs in that platform's zip: all but the other platforms' backends
    (the ``any`` zip holds every file)."""
    relative = path.relative_to(DIST).parts
    if platform == "any":
        return True
    if relative[0] == "backend":
        return relative[1] == platform
    return not relative[0].startswith(f"{EXECUTABLE}_linux_") or relative[0] == f"{EXECUTABLE}_{platform}"


def test_dist_has_no_symlinks() -> None:
    links = [str(p.relative_to(DIST)) for p in DIST.rglob("*") if p.is_symlink()]
    assert links == []


@pytest.mark.parametrize("platform", PLATFORMS)
def test_backend_is_built_for_its_platform(platform: str) -> None:
    """The launcher Grafana picks on that platform, and a bundle executable for that CPU."""
    launcher = DIST / f"{EXECUTABLE}_{platform}"
    assert launcher.is_file() and launcher.stat().st_mode & stat.S_IXUSR, f"{launcher.name} is not built"
    binary = DIST / "backend" / platform / EXECUTABLE
    assert binary.stat().st_mode & stat.S_IXUSR
    header = binary.read_bytes()[:20]
    assert header[:4] == b"\x7fELF" and header[4] == 2, "not a 64-bit ELF executable"
    assert int.from_bytes(header[18:20], "little") == ELF_MACHINES[platform]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_backend_ships_no_gpl_only_library(platform: str) -> None:
    bundle = DIST / "backend" / platform
    assert bundle.is_dir(), f"dist/backend/{platform} is not built: run bash scripts/build.sh"
    found = sorted(str(p.relative_to(bundle)) for p in bundle.rglob("lib*.so*") if GPL_ONLY_LIBRARIES.match(p.name))
    assert found == []


# The C runtime every Linux machine Grafana runs on has; any other library the native decoder needs must be
# in the bundle, where its run path ($ORIGIN/../.., scripts/build_native.sh) finds it.
SYSTEM_LIBRARIES = re.compile(r"^(libc|libm|libgcc_s|libstdc\+\+|ld-linux[-\w]*)\.so")


@pytest.mark.parametrize("platform", PLATFORMS)
def test_backend_ships_the_native_decoder_with_its_libraries(platform: str) -> None:
    runtime = DIST / "backend" / platform / "runtime"
    decoder = runtime / "cloudsql_cos_ts" / "flowlogs" / "libflowdecode.so"
    assert decoder.is_file(), f"{decoder} is missing: scripts/bundle.sh adds it"
    header = decoder.read_bytes()[:20]
    assert int.from_bytes(header[18:20], "little") == ELF_MACHINES[platform]
    dynamic = subprocess.run(["readelf", "-d", str(decoder)], capture_output=True, text=True, check=True).stdout
    assert "[$ORIGIN/../..]" in dynamic
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dynamic)
    assert "libsimdjson.so" in " ".join(needed)
    for name in needed:
        assert SYSTEM_LIBRARIES.match(name) or (runtime / name).is_file(), f"{name} is not in the bundle"


def zips() -> list[str]:
    """The plugin zips the release must hold: one per platform, and the one for any platform."""
    return [*PLATFORMS, "any"] if len(PLATFORMS) > 1 else PLATFORMS


def test_one_zip_per_platform_and_one_for_any() -> None:
    made = sorted(path.name for path in (REPO / "build" / "release").glob(f"{PLUGIN_ID}-[0-9]*.zip"))
    assert made == sorted(release_path(platform).name for platform in zips())


@pytest.mark.parametrize("platform", PLATFORMS)
def test_zip_layout(platform: str) -> None:
    """One top folder named after the id, holding what Grafana's installer and loader look for on
    that platform, and no other platform's executable."""
    names = release(platform).namelist()
    assert {name.split("/", 1)[0] for name in names} == {PLUGIN_ID}
    required = ("plugin.json", "module.js", "LICENSE", "README.md", "CHANGELOG.md", f"{EXECUTABLE}_{platform}")
    for name in required:
        assert f"{PLUGIN_ID}/{name}" in names, name
    assert f"{PLUGIN_ID}/backend/{platform}/{EXECUTABLE}" in names
    bundles = {name.split("/")[2] for name in names if name.startswith(f"{PLUGIN_ID}/backend/")}
    assert bundles - {""} == {platform}
    assert [n for n in names if f"/{EXECUTABLE}_linux_" in n] == [f"{PLUGIN_ID}/{EXECUTABLE}_{platform}"]
    assert json.loads(release(platform).read(f"{PLUGIN_ID}/plugin.json")) == manifest()
    # Byte code only as the bundle's modules (runtime/, tests/release/test_bundle_start.py), never a cache
    # written by a run.
    runtime = f"{PLUGIN_ID}/backend/{platform}/runtime/"
    assert not any("__pycache__" in name or (name.endswith(".pyc") and not name.startswith(runtime)) for name in names)


def test_zip_for_any_platform_layout() -> None:
    """Grafana's installer unpacks the one plugin folder and Grafana starts the executable named after
    its own platform: every platform's launcher with its bundle is there, beside one frontend."""
    if len(PLATFORMS) < 2:  # the test command builds one platform: its zip is the only one
        assert not release_path("any").exists()
        return
    names = release("any").namelist()
    assert {name.split("/", 1)[0] for name in names} == {PLUGIN_ID}
    assert sorted(n for n in names if f"/{EXECUTABLE}_linux_" in n) == [
        f"{PLUGIN_ID}/{EXECUTABLE}_{platform}" for platform in PLATFORMS
    ]
    for platform in PLATFORMS:
        assert f"{PLUGIN_ID}/backend/{platform}/{EXECUTABLE}" in names
        assert set(release(platform).namelist()) <= set(names)
    assert json.loads(release("any").read(f"{PLUGIN_ID}/plugin.json")) == manifest()


@pytest.mark.parametrize("platform", zips())
def test_zip_entries_are_plain_files_with_their_modes(platform: str) -> None:
    infos = release(platform).infolist()
    kinds = {stat.S_IFMT(info.external_attr >> 16) for info in infos if not info.is_dir()}
    assert kinds == {stat.S_IFREG}, "the zip holds symlinks or special files"
    modes = {info.filename: info.external_attr >> 16 for info in infos}
    for built in PLATFORMS if platform == "any" else [platform]:
        assert modes[f"{PLUGIN_ID}/{EXECUTABLE}_{built}"] & stat.S_IXUSR
        assert modes[f"{PLUGIN_ID}/backend/{built}/{EXECUTABLE}"] & stat.S_IXUSR


@pytest.mark.parametrize("platform", zips())
def test_zip_has_no_duplicated_files_and_fits_the_budget(platform: str) -> None:
    infos = [info for info in release(platform).infolist() if not info.is_dir()]
    names = [info.filename for info in infos]
    assert len(names) == len(set(names))
    files = [p for p in DIST.rglob("*") if p.is_file() and not p.is_symlink() and in_zip_of(platform, p)]
    unpacked = sum(info.file_size for info in infos)
    assert unpacked == sum(p.stat().st_size for p in files), "the zip stores more (or less) than dist/ holds"
    if platform != "any":  # the zip for any platform is their sum, documented as the large one
        assert unpacked <= UNPACKED_BUDGET_BYTES, unpacked
        assert release_path(platform).stat().st_size <= ZIP_BUDGET_BYTES
