"""The flow lake: settled days of raw flow-log objects compacted into Parquet parts in the bucket (docs/lake.md)."""
