"""The native decoder under AddressSanitizer and UndefinedBehaviorSanitizer, over mutated bodies.

The decoder reads bytes from object stores: whatever they hold must never make it read or write out of bounds
(the process would die or leak memory into an answer). A copy built with both sanitizers
(``scripts/build_native.sh`` with extra flags) decodes a few tens of thousands of mutated bodies in a process
with the sanitizer runtimes preloaded (``native_mutations.py``); any report fails the run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SANITIZERS = ["-O1", "-g", "-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-fno-sanitize-recover=all"]
CHUNKS = 1500  # about 30,000 bodies, a few seconds


def _runtime(name: str) -> str:
    found = subprocess.run(["g++", f"-print-file-name={name}"], capture_output=True, text=True, check=True).stdout
    return found.strip()


def test_mutated_bodies_decode_without_a_sanitizer_report(tmp_path: Path) -> None:
    library = tmp_path / "libflowdecode-sanitized.so"
    build = ["bash", str(REPO / "scripts" / "build_native.sh"), str(library), *SANITIZERS]
    subprocess.run(build, check=True, timeout=300)
    env = {
        **os.environ,
        "LD_PRELOAD": f"{_runtime('libasan.so')}:{_runtime('libubsan.so')}",
        "ASAN_OPTIONS": "detect_leaks=0:abort_on_error=0:exitcode=86",  # Python's own allocations are no leak
        "UBSAN_OPTIONS": "halt_on_error=1:exitcode=87:print_stacktrace=1",
    }
    run = subprocess.run(
        [sys.executable, "-m", "tests.flowlogs.native_mutations", str(library), str(CHUNKS)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert run.returncode == 0, run.stderr[-4000:]
    assert run.stdout.split()[0] == "decoded" and int(run.stdout.split()[1]) > 20 * CHUNKS
    assert "runtime error" not in run.stderr and "AddressSanitizer" not in run.stderr.replace(
        "AddressSanitizer: failed to intercept", ""
    )
