"""gRPC core settings that have to be in the environment before grpcio is first imported.

grpcio 1.85 accepts connections through EventEngine listeners by default. Their sockets are then
read and written on EventEngine's own threads, and every event is handed over to the Python thread
waiting on the server's completion queue: one more thread wake-up per event. With iomgr's listener
(``GRPC_EXPERIMENTS=-event_engine_listener``, gRPC's documented switch for its experiments) the
thread that polls the completion queue does that I/O itself, which shortens a cache hit's round
trip (the W2 bench; figures in docs/benchmarks.md).

gRPC core reads the variable once, when it initialises, so it is set on the first import of the
``cloudsql_cos_ts`` package (every way into the plugin process passes there before ``grpc`` loads),
and a value already in the environment is left alone: whoever set it chose for themselves.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

GRPC_EXPERIMENTS = "-event_engine_listener"


def configure_grpc_core(environ: MutableMapping[str, str] = os.environ) -> None:
    """Set our gRPC experiments unless the environment already names some."""
    environ.setdefault("GRPC_EXPERIMENTS", GRPC_EXPERIMENTS)
