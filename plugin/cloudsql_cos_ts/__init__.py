"""cloudsql-cos-ts: a Grafana backend datasource that runs IBM SQL Query style SQL over flow logs.

Heavy libraries (duckdb, pyarrow, sqlglot) are imported lazily by the modules that need them, so
the plugin process reaches Grafana's handshake quickly.
"""

PLUGIN_ID = "ibm-cloudsqlcos-datasource"
__version__ = "0.1.0"
