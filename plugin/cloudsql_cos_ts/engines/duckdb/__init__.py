"""The embedded default engine: DuckDB in the plugin process.

``engine.py`` runs the SQL in a sandboxed connection, one cursor per query; ``source.py`` gives it
the configured source as relations (the FLOW / FLOW_FLAT / __SOURCE views over the ingest cache's
entries for flow logs, or DuckDB's readers for plain files); ``views.py`` writes those views' SQL.
The flow-log domain they build on (key layout, decoding, pruning, the ingest cache) is ``flowlogs/``.
"""
