"""IBM Cloud VPC flow logs: key layout, sample data, partition pruning, ingest cache, DuckDB views."""
