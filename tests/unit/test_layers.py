"""The package's imports run one way: from the protocol down to the domain, never back up.

Each top-level module or package of ``cloudsql_cos_ts`` has a layer (docs/architecture.md,
"Layers"); a module may import its own layer and those below it. The imports are read from the
source with ``ast`` (also the ones inside functions, which load late but still tie the layers), so a
new upward import fails here, not in a review. The few that go up on purpose are listed with why.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "plugin" / "cloudsql_cos_ts"

LAYERS: tuple[frozenset[str], ...] = tuple(
    frozenset(names.split())
    for names in (
        "cli",  # the command line drives everything below
        "server",  # the protocol: gRPC services, the process
        "health resources",  # what the services answer besides queries
        "query",  # the one owner of a request
        "cache",  # the result cache the pipeline consults
        "instances",  # live datasources: settings + engine
        "engines",  # DuckDB, Spark, Data Engine behind one contract
        "flowlogs enrichment",  # the domain: key layout, decode, pruning, ingest; flow enrichment data
        "storage",  # COS and local folders
        "dialect macros",  # IBM's SQL: translation, macro expansion (independent of each other)
        "frames settings",
        "activity cancel heaps metrics timerange",
        "errors lexer log lru proto",  # below everything
    )
)

ALLOWED_UPWARD = {
    # Set before grpcio loads, so the package's first import must reach it (server/grpc_core.py).
    ("__init__", "server"),
}

KEPT_APART = {
    # The cache takes plain values from the pipeline in one call (query/caching.py builds them from
    # the settings): it must not reach back into the pipeline, nor read settings of its own.
    "cache": {"query", "settings"},
}


def layer_of(name: str) -> int:
    for index, members in enumerate(LAYERS):
        if name in members:
            return index
    raise AssertionError(f"{name} has no layer: add it to LAYERS and to docs/architecture.md")


def _module(name: str) -> bool:
    return (PACKAGE / name).is_dir() or (PACKAGE / f"{name}.py").is_file()


def top_level_imports(path: Path) -> set[str]:
    """The ``cloudsql_cos_ts`` sub-packages and modules a file imports, by their first name."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + ([f"{node.module}.{a.name}" for a in node.names] if node.level == 0 else [])
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        for name in names:
            root, _, rest = name.partition(".")
            first = rest.partition(".")[0]  # "" for the package itself, a name for ``__version__``
            if root == "cloudsql_cos_ts" and first and _module(first):
                found.add(first)
    return found


def owners() -> list[tuple[str, Path]]:
    return [
        (path.relative_to(PACKAGE).parts[0].removesuffix(".py"), path)
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.relative_to(PACKAGE).parts[0] != "proto"
    ]


@pytest.mark.parametrize(("owner", "path"), owners(), ids=str)
def test_no_import_runs_up_a_layer(owner: str, path: Path) -> None:
    imported = top_level_imports(path)
    # The package's face sits above everything: whatever it imports goes up.
    upward = imported if owner == "__init__" else {name for name in imported if layer_of(name) < layer_of(owner)}
    unexplained = {name for name in upward if (owner, name) not in ALLOWED_UPWARD}
    assert not unexplained, f"{path.relative_to(PACKAGE)} imports {sorted(unexplained)} from above its layer"


def test_every_allowed_exception_is_still_needed() -> None:
    used = {(owner, name) for owner, path in owners() for name in top_level_imports(path)}
    assert used >= ALLOWED_UPWARD, f"no longer imported, remove from ALLOWED_UPWARD: {ALLOWED_UPWARD - used}"


@pytest.mark.parametrize(("owner", "forbidden"), sorted(KEPT_APART.items()))
def test_kept_apart(owner: str, forbidden: set[str]) -> None:
    reached = {
        (path.relative_to(PACKAGE).as_posix(), name)
        for module, path in owners()
        if module == owner
        for name in top_level_imports(path) & forbidden
    }
    assert not reached, f"{owner}/ imports what it must not: {sorted(reached)}"
