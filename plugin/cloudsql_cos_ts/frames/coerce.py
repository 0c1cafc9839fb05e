"""Coerce any Arrow column into one of the types Grafana's Go SDK can decode.

Grafana rejects a whole QueryData response when one frame holds an unsupported Arrow type, and it
reads every timestamp as nanoseconds whatever the schema says. Engines hand us large strings,
dictionaries, decimals, dates, intervals, lists and structs, so every column passes through
:func:`to_grafana` before encoding:

- large_string / string_view → utf8; dictionary → its values; decimal → float64; float16 → float32
- date / timestamp (any unit, any zone) → timestamp[ns, UTC] (out-of-range values become null)
- time of day, interval → ISO text; duration → int64 milliseconds (field unit ``ms``; finer units
  truncated, seconds beyond the int64 range of milliseconds → null)
- binary → base64 text (Grafana's binary type means JSON, raw bytes would break the browser)
- list / struct / map / union → JSON text in a binary column (Grafana's JSON field type)
- null type (a column of bare NULLs) → nullable utf8
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import math
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

TIME_TYPE = pa.timestamp("ns", tz="UTC")


@dataclass
class Coerced:
    values: pa.Array
    config: dict[str, Any] | None = None


def _combine(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        return values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    return values


def to_time(values: pa.Array) -> pa.Array:
    """Timestamps or dates of any unit → ns UTC; values outside ns range (years < 1678 or > 2261) → null."""
    typ = values.type
    if pa.types.is_date(typ):
        values = values.cast(pa.timestamp("ms"))
        typ = values.type
    if typ.tz is None:
        values = values.cast(pa.timestamp(typ.unit, tz="UTC"))
    try:
        return values.cast(TIME_TYPE)
    except pa.ArrowInvalid:
        low = pa.scalar(dt.datetime(1678, 1, 1, tzinfo=dt.UTC), type=pa.timestamp("us", tz="UTC"))
        high = pa.scalar(dt.datetime(2261, 12, 31, tzinfo=dt.UTC), type=pa.timestamp("us", tz="UTC"))
        as_us = values.cast(pa.timestamp("us", tz="UTC"), safe=False)
        in_range = pc.and_(pc.greater_equal(as_us, low), pc.less_equal(as_us, high))
        return pc.if_else(in_range, as_us, pa.scalar(None, pa.timestamp("us", tz="UTC"))).cast(TIME_TYPE)


_MAX_SECONDS_AS_MS = (2**63 - 1) // 1000


def _duration_ms(values: pa.Array) -> pa.Array:
    """Durations as int64 milliseconds; a plain cast refuses sub-millisecond values (Spark's intervals)."""
    if values.type.unit != "s":
        return values.cast(pa.duration("ms"), safe=False).cast(pa.int64())
    seconds = values.cast(pa.int64())
    fits = pc.and_(pc.greater_equal(seconds, -_MAX_SECONDS_AS_MS), pc.less_equal(seconds, _MAX_SECONDS_AS_MS))
    return pc.if_else(fits, pc.multiply(seconds, 1000), pa.scalar(None, pa.int64()))


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return str(value)


def _plain(value: Any, typ: pa.DataType) -> Any:
    """Python value of a nested Arrow value, with maps as objects and NaN/inf as null (not JSON)."""
    if value is None:
        return None
    if pa.types.is_map(typ):
        pairs = [(_plain(k, typ.key_type), _plain(v, typ.item_type)) for k, v in value]
        if all(isinstance(k, str) for k, _ in pairs):
            return dict(pairs)
        return [{"key": k, "value": v} for k, v in pairs]
    if pa.types.is_struct(typ):
        return {f.name: _plain(value.get(f.name), f.type) for f in typ}
    if pa.types.is_list(typ) or pa.types.is_large_list(typ) or pa.types.is_fixed_size_list(typ):
        return [_plain(v, typ.value_type) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _python_rows(values: pa.Array) -> list[Any]:
    """Each row as Python values; a row Python cannot hold (a nested time outside years 1-9999) → None."""
    try:
        return list(values.to_pylist())
    except (OverflowError, ValueError):
        rows: list[Any] = []
        for scalar in values:
            try:
                rows.append(scalar.as_py())
            except (OverflowError, ValueError):
                rows.append(None)
        return rows


_JSON_UNSAFE = r'[\x00-\x1f"\\]'


def _json_string(text: pa.Array) -> pa.Array:
    """Each text as a JSON string literal (only for text without quotes, backslashes or control characters)."""
    return pc.binary_join_element_wise('"', text, '"', "")


def _string_map_json(values: pa.Array) -> pa.Array | None:
    """A map of text to text as JSON objects, computed on whole columns (labels of a logs frame have
    one per row: the row-by-row path takes seconds for 100,000 rows); None when a key or value needs
    escaping, which the row-by-row path does."""
    keys, items = values.keys, values.items
    if (
        pc.any(pc.match_substring_regex(keys, _JSON_UNSAFE)).as_py()
        or pc.any(pc.match_substring_regex(items, _JSON_UNSAFE)).as_py()
    ):
        return None
    pairs = pc.binary_join_element_wise(_json_string(keys), pc.fill_null(_json_string(items), "null"), ":")
    # keys and items are the whole child arrays, offsets point into them (also for a slice)
    rows = pa.ListArray.from_arrays(values.offsets, pairs)
    objects = pc.binary_join_element_wise("{", pc.binary_join(rows, ","), "}", "")
    return pc.if_else(values.is_null(), pa.scalar(None, pa.string()), objects).cast(pa.binary())


def _to_json_column(values: pa.Array) -> pa.Array:
    typ = values.type
    if pa.types.is_map(typ) and pa.types.is_string(typ.key_type) and pa.types.is_string(typ.item_type):
        fast = _string_map_json(values)
        if fast is not None:
            return fast
    texts = [
        None if v is None else json.dumps(_plain(v, typ), default=_json_default, separators=(",", ":")).encode()
        for v in _python_rows(values)
    ]
    return pa.array(texts, type=pa.binary())


def _to_text(values: pa.Array, render: Any) -> pa.Array:
    return pa.array([None if v is None else render(v) for v in values.to_pylist()], type=pa.string())


def _is_nested(typ: pa.DataType) -> bool:
    return bool(
        pa.types.is_list(typ)
        or pa.types.is_large_list(typ)
        or pa.types.is_fixed_size_list(typ)
        or pa.types.is_struct(typ)
        or pa.types.is_map(typ)
        or pa.types.is_union(typ)
    )


_PASS_THROUGH = (
    pa.int8(),
    pa.int16(),
    pa.int32(),
    pa.int64(),
    pa.uint8(),
    pa.uint16(),
    pa.uint32(),
    pa.uint64(),
    pa.float32(),
    pa.float64(),
    pa.bool_(),
    pa.string(),
)


def to_grafana(values: pa.Array | pa.ChunkedArray) -> Coerced:
    """The Grafana-decodable form of ``values`` (see the module docstring for the mapping)."""
    arr = _combine(values)
    typ = arr.type
    if isinstance(typ, pa.ExtensionType):
        return to_grafana(arr.storage)
    if typ in _PASS_THROUGH:
        return Coerced(arr)
    if pa.types.is_dictionary(typ):
        return to_grafana(arr.dictionary_decode())
    if pa.types.is_null(typ):
        return Coerced(pa.nulls(len(arr), type=pa.string()))
    if pa.types.is_large_string(typ) or pa.types.is_string_view(typ):
        return Coerced(arr.cast(pa.string()))
    if pa.types.is_float16(typ):
        return Coerced(arr.cast(pa.float32()))
    if pa.types.is_decimal(typ):
        return Coerced(arr.cast(pa.float64()))
    if pa.types.is_timestamp(typ) or pa.types.is_date(typ):
        return Coerced(to_time(arr))
    if pa.types.is_duration(typ):
        return Coerced(_duration_ms(arr), {"unit": "ms"})
    if pa.types.is_time(typ):
        return Coerced(_to_text(arr, lambda v: v.isoformat()))
    if pa.types.is_interval(typ):
        return Coerced(_to_text(arr, lambda v: f"P{v.months}M{v.days}DT{v.nanoseconds / 1e9:g}S"))
    if (
        pa.types.is_binary(typ)
        or pa.types.is_large_binary(typ)
        or pa.types.is_fixed_size_binary(typ)
        or (pa.types.is_binary_view(typ))
    ):
        return Coerced(_to_text(arr, lambda v: base64.b64encode(v).decode("ascii")))
    if _is_nested(typ):
        return Coerced(_to_json_column(arr))
    return Coerced(_to_text(arr, str))


@dataclass
class CoercedChunks:
    values: pa.ChunkedArray
    config: dict[str, Any] | None = None


def to_grafana_chunks(values: pa.Array | pa.ChunkedArray) -> CoercedChunks:
    """:func:`to_grafana` chunk by chunk, so a big result's column is never combined into one more copy.

    The mapping depends on the type alone, so every chunk comes out with the same type and config.
    """
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    if not chunks:  # a chunked column without chunks: the type of an empty one
        chunks = [pa.array([], type=values.type)]
    coerced = [to_grafana(chunk) for chunk in chunks]
    return CoercedChunks(pa.chunked_array([c.values for c in coerced], coerced[0].values.type), coerced[0].config)
