"""cloudsql-cos-ts: a Grafana backend datasource that runs IBM SQL Query style SQL over flow logs.

Heavy libraries (duckdb, pyarrow, sqlglot) are imported lazily by the modules that need them, so
the plugin process reaches Grafana's handshake quickly. gRPC core's settings are applied here, on
the package's first import, because they only count when they are in the environment before
grpcio loads, and every module that loads grpcio is inside this package
(:mod:`cloudsql_cos_ts.server.grpc_core`).
"""

from cloudsql_cos_ts.server.grpc_core import configure_grpc_core

PLUGIN_ID = "ibm-cloudsqlcos-datasource"
__version__ = "0.1.0"

configure_grpc_core()
