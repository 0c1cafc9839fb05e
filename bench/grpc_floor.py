"""The floor of W2: grpcio's own round-trip cost, with a QueryData handler that does no work.

Started by the W2 client like the real plugin (go-plugin handshake on stdout, unix socket), on the
same grpcio server setup the plugin uses (``cloudsql_cos_ts.server.main.build_server``), it answers
every QueryData with one response built once at start: the plugin's own encoding of a 1,000-row
time series. Whatever the plugin's cache-hit path costs above this floor is the plugin's; the
floor itself is what any Python plugin on grpcio pays.
"""

from __future__ import annotations

import shutil
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pyarrow as pa

from cloudsql_cos_ts.frames.encode import encode_frame
from cloudsql_cos_ts.frames.meta import FrameMeta
from cloudsql_cos_ts.frames.model import Field, Frame
from cloudsql_cos_ts.proto import backend_pb2 as pb
from cloudsql_cos_ts.proto import backend_pb2_grpc as pb_grpc
from cloudsql_cos_ts.proto import controller_pb2_grpc as ctl_grpc
from cloudsql_cos_ts.server.deferred import DeferredServices
from cloudsql_cos_ts.server.main import add_health, bind, build_server
from cloudsql_cos_ts.server.services import ControllerService

if TYPE_CHECKING:  # grpcio must load after cloudsql_cos_ts, which sets gRPC core's settings first
    import grpc

ROWS = 1000


def prebuilt_response() -> pb.QueryDataResponse:
    start = datetime(2024, 5, 6, tzinfo=UTC)
    times = pa.array([start + timedelta(seconds=i) for i in range(ROWS)], pa.timestamp("ns", tz="UTC"))
    values = pa.array([float(i) for i in range(ROWS)], pa.float64())
    frame = Frame(
        "A",
        "A",
        [Field("time", times, nullable=False), Field("a", values)],
        meta=FrameMeta().of_type("timeseries-multi"),
    )
    response = pb.QueryDataResponse()
    answer = response.responses["A"]
    answer.status = 200
    answer.frames.append(encode_frame(frame))
    return response


class ConstantData(pb_grpc.DataServicer):
    def __init__(self) -> None:
        self._response = prebuilt_response()

    def QueryData(self, request: pb.QueryDataRequest, context: grpc.ServicerContext) -> pb.QueryDataResponse:
        return self._response


def main() -> None:
    stop = threading.Event()

    def register(server: grpc.Server) -> None:
        add_health(server)
        pb_grpc.add_DataServicer_to_server(ConstantData(), server)
        ctl_grpc.add_GRPCControllerServicer_to_server(ControllerService(stop), server)  # the client's Shutdown

    server = build_server(ThreadPoolExecutor(max_workers=4, thread_name_prefix="grpc"), DeferredServices(register))
    network, address, socket_dir = bind(server)
    server.start()
    sys.stdout.write(f"1|2|{network}|{address}|grpc\n")
    sys.stdout.flush()
    stop.wait()
    server.stop(0.2).wait(0.5)
    if socket_dir is not None:
        shutil.rmtree(socket_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
