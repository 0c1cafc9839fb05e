"""Hypothesis strategies for Arrow columns of every type an engine can hand the frame encoder.

Time-like columns are built from raw integers, so the fuzzer reaches values no engine would pick on
purpose: before year 1678, after 2262, sub-millisecond durations, negative epochs.
"""

from __future__ import annotations

import decimal

import pyarrow as pa
from hypothesis import strategies as st

TEXT = st.text(st.characters(blacklist_categories=["Cs"]), max_size=12)  # protobuf and Arrow carry only UTF-8
ROWS = 6


def _column(values: st.SearchStrategy[object], arrow_type: pa.DataType) -> st.SearchStrategy[pa.Array]:
    return st.lists(st.one_of(st.none(), values), max_size=ROWS).map(lambda items: pa.array(items, type=arrow_type))


def _cast_from(raw: st.SearchStrategy[int], storage: pa.DataType, target: pa.DataType) -> st.SearchStrategy[pa.Array]:
    return st.lists(st.one_of(st.none(), raw), max_size=ROWS).map(
        lambda items: pa.array(items, type=storage).cast(target)
    )


def _ints(bits: int, signed: bool) -> st.SearchStrategy[int]:
    return st.integers(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else st.integers(0, 2**bits - 1)


def _decimals(precision: int, scale: int) -> st.SearchStrategy[decimal.Decimal]:
    limit = 10**precision - 1
    exact = decimal.Context(prec=precision + 1)
    return st.integers(-limit, limit).map(lambda n: decimal.Decimal(n).scaleb(-scale, context=exact))


_INT64 = _ints(64, True)
_UNITS = ("s", "ms", "us", "ns")
_ZONES = (None, "UTC", "+05:30", "-11:00")
_DAY = {"s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400_000_000_000}

_INTEGER_TYPES = [getattr(pa, f"{prefix}int{bits}")() for bits in (8, 16, 32, 64) for prefix in ("", "u")]
_STRATEGIES: list[st.SearchStrategy[pa.Array]] = [
    *(_column(_ints(t.bit_width, pa.types.is_signed_integer(t)), t) for t in _INTEGER_TYPES),
    _column(st.floats(width=32), pa.float32()),
    _column(st.floats(), pa.float64()),
    _column(st.floats(width=32), pa.float32()).map(lambda a: a.cast(pa.float16())),
    _column(st.booleans(), pa.bool_()),
    _column(TEXT, pa.string()),
    _column(TEXT, pa.large_string()),
    _column(TEXT, pa.string()).map(lambda a: a.cast(pa.string_view())),
    _column(st.binary(max_size=8), pa.binary()),
    _column(st.binary(max_size=8), pa.large_binary()),
    _column(st.binary(min_size=3, max_size=3), pa.binary(3)),
    _column(TEXT, pa.string()).map(lambda a: a.dictionary_encode()),
    st.integers(0, ROWS).map(pa.nulls),
    *(_column(_decimals(p, s), pa.decimal128(p, s)) for p, s in ((38, 0), (38, 20), (5, 5))),
    _column(_decimals(60, 10), pa.decimal256(60, 10)),
    *(_cast_from(_INT64, pa.int64(), pa.timestamp(unit, tz=zone)) for unit in _UNITS for zone in _ZONES),
    _cast_from(_ints(32, True), pa.int32(), pa.date32()),
    _cast_from(st.integers(-(2**52), 2**52), pa.int64(), pa.date64()),
    *(_cast_from(_INT64, pa.int64(), pa.duration(unit)) for unit in _UNITS),
    _cast_from(st.integers(0, _DAY["s"] - 1), pa.int32(), pa.time32("s")),
    _cast_from(st.integers(0, _DAY["ms"] - 1), pa.int32(), pa.time32("ms")),
    _cast_from(st.integers(0, _DAY["us"] - 1), pa.int64(), pa.time64("us")),
    _cast_from(st.integers(0, _DAY["ns"] - 1), pa.int64(), pa.time64("ns")),
    _column(st.tuples(_ints(32, True), _ints(32, True), _INT64).map(pa.MonthDayNano), pa.month_day_nano_interval()),
    _column(st.lists(st.one_of(st.none(), st.floats()), max_size=3), pa.list_(pa.float64())),
    _column(st.lists(_INT64, max_size=3), pa.large_list(pa.int64())),
    _column(
        st.fixed_dictionaries({"a": st.one_of(st.none(), _INT64), "b": TEXT, "c": st.binary(max_size=4)}),
        pa.struct([("a", pa.int64()), ("b", pa.string()), ("c", pa.binary())]),
    ),
    _column(st.lists(st.tuples(TEXT, st.floats()), max_size=3), pa.map_(pa.string(), pa.float64())),
    _column(st.lists(st.tuples(_INT64, TEXT), max_size=3), pa.map_(pa.int64(), pa.string())),
    _column(st.lists(st.one_of(st.none(), _decimals(10, 2)), max_size=2), pa.list_(pa.decimal128(10, 2))),
    _column(st.lists(_INT64, max_size=2), pa.list_(pa.int64())).map(lambda a: a.cast(pa.list_(pa.timestamp("us")))),
]

ANY_COLUMN: st.SearchStrategy[pa.Array] = st.one_of(*_STRATEGIES)
"""One Arrow array of any type an engine may produce, up to :data:`ROWS` rows, nulls anywhere."""
