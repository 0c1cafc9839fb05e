"""Query engines: one module per engine behind the contract in :mod:`cloudsql_cos_ts.engines.base`."""
