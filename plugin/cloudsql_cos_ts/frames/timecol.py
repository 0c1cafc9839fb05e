"""Turn whatever a query returns as its time column into ns UTC timestamps.

IBM's results carried time as timestamps, RFC 3339 text (``start_time``) or epoch milliseconds
(``TS_EXPLODE``'s ``tt``); users may also return epoch seconds. Numbers are read by magnitude:
below 1e11 they are seconds (1e11 s is the year 5138), below 1e14 milliseconds, below 1e17
microseconds, else nanoseconds. Text must be ISO 8601 / RFC 3339; text without a zone is UTC.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.compute as pc

from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.frames.coerce import TIME_TYPE, to_time

_EPOCH_SCALES = ((1e11, 1_000_000_000), (1e14, 1_000_000), (1e17, 1_000), (float("inf"), 1))


def is_time_like(typ: pa.DataType) -> bool:
    return bool(pa.types.is_timestamp(typ) or pa.types.is_date(typ))


def _parse_text(values: pa.Array, column: str, lenient: bool) -> pa.Array:
    try:
        return to_time(pc.cast(values, pa.timestamp("ns", tz="UTC")))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass  # fall back to Python's ISO parser, which also takes offsets like +05:30
    parsed: list[dt.datetime | None] = []
    for text in values.to_pylist():
        if text is None or not text.strip():
            parsed.append(None)
            continue
        try:
            stamp = dt.datetime.fromisoformat(text.strip())
        except ValueError:
            if lenient:
                parsed.append(None)
                continue
            raise BadRequest(
                f"time column {column!r} holds {text!r}, which is not an RFC 3339 / ISO 8601 time"
            ) from None
        parsed.append(stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC))
    return to_time(pa.array(parsed, type=pa.timestamp("us", tz="UTC")))


def _from_epoch(values: pa.Array) -> pa.Array:
    biggest = abs(pc.max(pc.abs(values)).as_py() or 0)
    to_ns = next(scale for limit, scale in _EPOCH_SCALES if biggest < limit)
    if pa.types.is_integer(values.type):  # integer arithmetic: float64 would lose ns digits
        nanos = pc.multiply_checked(values.cast(pa.int64()), to_ns)
    else:
        nanos = pc.cast(pc.round(pc.multiply(values.cast(pa.float64()), float(to_ns))), pa.int64())
    return nanos.cast(TIME_TYPE)


def to_time_column(values: pa.Array | pa.ChunkedArray, column: str, *, lenient: bool = False) -> pa.Array:
    """ns UTC timestamps from timestamps, dates, ISO text or epoch numbers; BadRequest otherwise.

    ``lenient``: text that is no time becomes NULL, as IBM's Spark read it (the logs view shows the
    lines it can; a time series refuses a column it cannot plot).
    """
    arr = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    typ = arr.type
    if is_time_like(typ):
        return to_time(arr)
    if pa.types.is_string(typ) or pa.types.is_large_string(typ) or pa.types.is_string_view(typ):
        return _parse_text(arr.cast(pa.string()), column, lenient)
    if pa.types.is_integer(typ) or pa.types.is_floating(typ) or pa.types.is_decimal(typ):
        return _from_epoch(arr)
    raise BadRequest(
        f"time column {column!r} has type {typ}; it must be a timestamp, RFC 3339 text or epoch milliseconds"
    )
