"""Writing a query result where ``$__dest`` points (a local folder or a COS prefix).

IBM SQL Query stored results as files below the target prefix; we write one object
``part-00000.<format>`` below ``<location>/<suffix>/`` so a later query (or another tool) can read
the folder as a table. Writes go through the object-store layer, so a local file appears atomically.
"""

from __future__ import annotations

import io
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.settings.datasource import Credentials
from cloudsql_cos_ts.settings.locations import CosLocation, LocalLocation, Location
from cloudsql_cos_ts.storage.factory import open_store

ResultFormat = Literal["parquet", "csv", "json", "orc"]
RESULT_FORMATS: tuple[ResultFormat, ...] = ("parquet", "csv", "json", "orc")
RESULT_OBJECT = "part-00000"


def encode_table(table: pa.Table, fmt: ResultFormat) -> bytes:
    """``table`` as the bytes of one file: Parquet, CSV with a header, JSON lines or ORC."""
    if fmt == "parquet":
        sink = io.BytesIO()
        pq.write_table(table, sink, use_dictionary=_text_columns(table.schema))
        return sink.getvalue()
    if fmt == "csv":
        sink = io.BytesIO()
        pa_csv.write_csv(table, sink)
        return sink.getvalue()
    if fmt == "orc":  # only INTO cos://… STORED AS ORC asks for it: loaded then
        import pyarrow.orc as pa_orc

        sink = io.BytesIO()
        pa_orc.write_table(table, sink)
        return sink.getvalue()
    if fmt == "json":
        lines = (json.dumps(row, default=_json_value, separators=(",", ":")) for row in table.to_pylist())
        return "".join(f"{line}\n" for line in lines).encode()
    raise BadRequest(f"$__dest format must be one of {', '.join(RESULT_FORMATS)} (got {fmt!r})")


def _text_columns(schema: pa.Schema) -> list[str]:
    """The columns a Parquet dictionary pays for: text repeats (an action, an address, a label), while times and
    numbers of a result are mostly distinct, and building a dictionary for them until it outgrows its page only
    costs CPU and bytes (docs/benchmarks.md)."""
    textual = (pa.types.is_string, pa.types.is_large_string, pa.types.is_binary, pa.types.is_dictionary)
    return [field.name for field in schema if any(is_type(field.type) for is_type in textual)]


def _json_value(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(f"cannot write a {type(value).__name__} value as JSON")


def result_location(destination: Location, suffix: str) -> Location:
    """The folder/prefix ``suffix`` below ``destination`` (``suffix`` may be empty)."""
    if isinstance(destination, CosLocation):
        return destination.child(suffix)
    parts = [p for p in suffix.strip("/").split("/") if p]
    if any(p in (".", "..") for p in parts):
        raise BadRequest(f"$__dest suffix {suffix!r} must not contain '.' or '..' segments")
    return LocalLocation(destination.path.joinpath(*parts))


def write_result(
    table: pa.Table, destination: Location, fmt: ResultFormat, suffix: str, credentials: Credentials
) -> str:
    """Write ``table`` below ``destination``/``suffix``; returns where it went (for notices and logs)."""
    data = encode_table(table, fmt)
    target = result_location(destination, suffix)
    store, prefix = open_store(target, credentials)
    key = f"{prefix}{RESULT_OBJECT}.{fmt}"
    if isinstance(target, LocalLocation):
        target.path.mkdir(parents=True, exist_ok=True)
    store.put(key, data)
    return f"{target.describe().rstrip('/')}/{RESULT_OBJECT}.{fmt}"
