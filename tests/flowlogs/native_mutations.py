"""Decode mutated bodies with a given build of the native decoder: ``python -m tests.flowlogs.native_mutations LIB N``.

Run by ``test_native_sanitized.py`` in a process whose sanitizer runtimes are preloaded: ``N`` chunks of bodies
made from the shapes of ``test_native.BODIES`` by flipping, deleting, inserting and cutting bytes (some then
gzipped, some gzip members with a flipped bit), each chunk's array checked in full. A sanitizer report ends the
process with an error; a clean run prints how many bodies it decoded.
"""

from __future__ import annotations

import ctypes
import gzip
import random
import sys

from cloudsql_cos_ts.flowlogs.native import Decoder
from cloudsql_cos_ts.flowlogs.schema import HEADER_JSON, RECORD_MEMBERS
from tests.flowlogs.test_native import BODIES


def _mutated(body: bytes, rng: random.Random) -> bytes:
    mutable = bytearray(body)
    for _ in range(rng.randint(1, 8)):
        at = rng.randrange(len(mutable) + 1)
        match rng.randrange(4):
            case 0 if mutable:
                mutable[min(at, len(mutable) - 1)] = rng.randrange(256)
            case 1:
                del mutable[at : at + rng.randint(1, 8)]
            case 2:
                mutable[at:at] = rng.randbytes(rng.randint(1, 4))
            case _:
                del mutable[at:]
    return bytes(mutable)


def _chunk(rng: random.Random) -> list[bytes]:
    seeds = [body for body, _ in BODIES.values()]
    chunk = []
    for _ in range(20):
        seed = rng.choice(seeds)
        mutated = _mutated(seed, rng)
        chunk.append(mutated)
        if rng.random() < 0.3:
            chunk.append(gzip.compress(mutated))
        if rng.random() < 0.2:
            member = bytearray(gzip.compress(seed))
            member[rng.randrange(10, len(member))] ^= 1 << rng.randrange(8)
            chunk.append(bytes(member))
    return chunk


def main(library: str, chunks: int) -> None:
    decoder = Decoder(ctypes.CDLL(library), HEADER_JSON, "flow_logs", RECORD_MEMBERS)
    rng = random.Random(19)
    decoded = 0
    for _ in range(chunks):
        bodies = _chunk(rng)
        result = decoder.decode(bodies)
        assert result is not None
        result[0].validate(full=True)
        decoded += len(bodies)
    print(f"decoded {decoded}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
