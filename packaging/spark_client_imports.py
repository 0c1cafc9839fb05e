"""What the plugin's frozen bundle must hold and leave out so the optional Spark client runs on it.

The Spark Connect client is not frozen into the bundle: it is the optional Spark client bundle (the
distributions of ``spark_client.txt``), imported from its own folder by the bundle's frozen
interpreter when a data source uses Spark. That interpreter holds only the modules something frozen
imports, so the modules the client imports from elsewhere (the standard library, protobuf's well-known
types, parts of numpy and pyarrow) are frozen in by name, and the client's own modules are excluded.

    python spark_client_imports.py hidden     # one module a line: --hidden-import
    python spark_client_imports.py excluded   # one module a line: --exclude-module

Run in the environment the bundle is built from (every locked package installed). It imports the
client's connect package with every submodule and the modules the Spark engine loads.
"""

import importlib
import importlib.metadata
import pkgutil
import sys
from pathlib import Path

ENGINE_MODULES = (
    "pyspark.errors",
    "pyspark.sql.functions",
    "pyspark.sql.types",
    "pyspark.cloudpickle",
    "pandas",
    "pyarrow.pandas_compat",
    "zstandard",
    "grpc_status.rpc_status",
)


def client_distributions() -> list[importlib.metadata.Distribution]:
    lines = Path(__file__).with_name("spark_client.txt").read_text().splitlines()
    return [importlib.metadata.distribution(line.strip()) for line in lines if line.strip() and line[0] != "#"]


def client_packages() -> set[str]:
    """The client's top-level modules, and its own subpackages of a shared namespace (google.rpc)."""
    packages = set()
    for dist in client_distributions():
        for file in dist.files or []:
            parts = file.parts
            if file.suffix not in (".py", ".so") or parts[0].endswith((".dist-info", ".data")) or parts[0] == "..":
                continue
            top = parts[0].split(".")[0]
            shared = len(parts) > 2 and not Path(file.locate()).parent.parent.joinpath("__init__.py").exists()
            packages.add(f"{top}.{parts[1]}" if top == "google" and shared else top)
    return packages


def is_client(name: str, packages: set[str]) -> bool:
    return any(name == package or name.startswith(f"{package}.") for package in packages)


def imported_by_the_client() -> list[str]:
    """Every module the client's import leaves in sys.modules that comes from outside the client."""
    connect = importlib.import_module("pyspark.sql.connect")
    for info in pkgutil.walk_packages(connect.__path__, "pyspark.sql.connect."):
        try:
            importlib.import_module(info.name)
        except Exception:  # a module for a feature the plugin does not use
            continue
    for name in ENGINE_MODULES:
        importlib.import_module(name)
    packages = client_packages()
    # Only modules under their own name: typing.io, or grpc.health for grpc_health, are aliases that
    # PyInstaller cannot find by that name.
    return sorted(
        name
        for name, module in list(sys.modules.items())
        if name != "__main__" and getattr(module, "__name__", None) == name and not is_client(name, packages)
    )


def main() -> None:
    names = imported_by_the_client() if sys.argv[1] == "hidden" else sorted(client_packages())
    print("\n".join(names))


if __name__ == "__main__":
    main()
