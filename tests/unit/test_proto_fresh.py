"""The committed gRPC stubs are exactly what the pinned grpcio-tools makes from proto/."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
STUBS = REPO / "plugin" / "cloudsql_cos_ts" / "proto"


def test_generated_stubs_match_the_proto_files(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(REPO / "scripts" / "gen_proto.py"), str(tmp_path)], check=True, capture_output=True
    )
    fresh = tmp_path / "cloudsql_cos_ts" / "proto"
    generated = sorted(p.name for p in fresh.iterdir())
    assert generated, "protoc produced nothing"
    for name in generated:
        assert (STUBS / name).read_text() == (fresh / name).read_text(), (
            f"{name} is stale: run `python scripts/gen_proto.py`"
        )
