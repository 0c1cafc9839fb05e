"""Generate the Python gRPC stubs from proto/ with the pinned grpcio-tools.

The stubs are committed (so the package imports without a build step and mypy sees typed
stubs); tests/unit/test_proto_fresh.py regenerates them into a temporary folder and fails
when the committed copies differ, so they can never drift from the .proto files.

Usage: python scripts/gen_proto.py [OUTPUT_ROOT]   (default: plugin/)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from grpc_tools import protoc

REPO = Path(__file__).resolve().parent.parent
PROTO_DIR = REPO / "proto"
# The virtual include path makes generated modules import each other as
# ``cloudsql_cos_ts.proto.<name>_pb2`` instead of as top-level modules.
VIRTUAL_PACKAGE = "cloudsql_cos_ts/proto"
PROTO_FILES = ("backend.proto", "controller.proto")


def generate(output_root: Path) -> None:
    """Write *_pb2.py, *_pb2.pyi and *_pb2_grpc.py for every proto under ``output_root``."""
    # protoc finds the mypy plugins (protoc-gen-mypy*) on PATH: use the running interpreter's.
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    target = output_root / VIRTUAL_PACKAGE
    target.mkdir(parents=True, exist_ok=True)
    grpc_include = Path(protoc.__file__).parent / "_proto"
    for name in PROTO_FILES:
        args = [
            "protoc",
            f"-I{VIRTUAL_PACKAGE}={PROTO_DIR}",
            f"-I{grpc_include}",
            f"--python_out={output_root}",
            f"--mypy_out={output_root}",
            f"--grpc_python_out={output_root}",
            f"--mypy_grpc_out={output_root}",
            f"{VIRTUAL_PACKAGE}/{name}",
        ]
        if protoc.main(args) != 0:
            raise SystemExit(f"protoc failed for {name}")


if __name__ == "__main__":
    generate(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "plugin")
