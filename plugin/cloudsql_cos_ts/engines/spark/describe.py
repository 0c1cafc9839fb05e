"""The table behind ``DESCRIBE(x)`` on Spark: ``name, type, nullable`` of x's columns.

Spark's ``DESCRIBE`` is a command and cannot be read as a table, so the dialect turns ``DESCRIBE(x)``
into a read of ``__DESCRIBE_X`` (``dialect/describe.py``) and the engine registers it from the
schema Spark reports for x. Types are Spark's own spelling (``string``, ``timestamp``, ``int``) —
the spelling IBM SQL Query's DESCRIBE showed; DuckDB spells them ``VARCHAR``, ``TIMESTAMP``, …
"""

from __future__ import annotations

import pyarrow as pa

from cloudsql_cos_ts.engines.spark.client import DataFrame


def describe_table(frame: DataFrame) -> pa.Table:
    fields = frame.schema.fields
    return pa.table(
        {
            "name": pa.array([f.name for f in fields], pa.string()),
            "type": pa.array([f.dataType.simpleString() for f in fields], pa.string()),
            "nullable": pa.array([bool(f.nullable) for f in fields], pa.bool_()),
        }
    )
