"""Every Arrow type coercion of ``frames.coerce.to_grafana``, as one table shared by two tests.

- ``tests/unit/test_frames.py`` checks each case through pyarrow: the coerced type and the first
  value after an IPC round trip of ``encode_frame``;
- ``tests/conformance/test_go_decoding.py`` decodes the same frame files with Grafana's Go SDK
  (``data.UnmarshalArrowFrame``) and checks the Go field type and the first value as Go sees it.

Each case is one column ``c`` of a one-row frame. Go values are as the conformance harness prints
them (``-decode``): null for a nil pointer, RFC 3339 UTC text with nanoseconds for a time, the
parsed document for a ``json.RawMessage``, plain JSON numbers, strings and booleans otherwise.
"""

from __future__ import annotations

import datetime as dt
import decimal
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

NS = pa.timestamp("ns", tz="UTC")
T0 = dt.datetime(2024, 5, 6, 10, 0, 0, 123456, tzinfo=dt.UTC)
T0_NS = 1714989600123456000
T0_GO = "2024-05-06T10:00:00.123456Z"
DAY_GO = "2024-05-06T00:00:00Z"

INT64_MAX = 2**63 - 1
UINT64_MAX = 2**64 - 1


@dataclass(frozen=True)
class CoercionCase:
    name: str
    array: pa.Array
    grafana_type: pa.DataType
    """The Arrow type ``to_grafana`` gives and the frame file holds."""
    value: Any
    """The first value of the frame file as pyarrow reads it (``as_py()``)."""
    go_type: str
    """The Go SDK field type of the decoded field, e.g. ``[]*float64``."""
    go_value: Any
    """The first value as the Go SDK decodes it, as the harness prints it."""
    nullable: bool = True
    """``Field.nullable`` of the column the case is encoded as."""
    go_config: dict[str, Any] | None = None
    """The field config Go reads back (None: no config)."""


def _case(
    name: str,
    array: pa.Array,
    grafana_type: pa.DataType,
    value: Any,
    go_type: str,
    *,
    go_value: Any = ...,
    **options: Any,
) -> CoercionCase:
    """A case whose Go value is the pyarrow value unless given."""
    return CoercionCase(name, array, grafana_type, value, go_type, value if go_value is ... else go_value, **options)


COERCION_CASES: tuple[CoercionCase, ...] = (
    # Text: large and view strings, dictionaries (pandas categoricals) become utf8.
    _case("large_string", pa.array(["a"], pa.large_string()), pa.string(), "a", "[]*string"),
    _case("string_view", pa.array(["a"], pa.string_view()), pa.string(), "a", "[]*string"),
    _case("dictionary", pa.array(["x", "x"]).dictionary_encode(), pa.string(), "x", "[]*string"),
    # Numbers Grafana has no type for.
    _case("decimal128", pa.array([decimal.Decimal("2.50")], pa.decimal128(10, 2)), pa.float64(), 2.5, "[]*float64"),
    _case("float16", pa.array([1.5], pa.float16()), pa.float32(), 1.5, "[]*float32"),
    # Dates and timestamps of any unit and zone: nanoseconds, UTC.
    _case(
        "date32",
        pa.array([dt.date(2024, 5, 6)], pa.date32()),
        NS,
        dt.datetime(2024, 5, 6, tzinfo=dt.UTC),
        "[]*time.Time",
        go_value=DAY_GO,
    ),
    _case(
        "date64",
        pa.array([dt.date(2024, 5, 6)], pa.date64()),
        NS,
        dt.datetime(2024, 5, 6, tzinfo=dt.UTC),
        "[]*time.Time",
        go_value=DAY_GO,
    ),
    _case("timestamp_us", pa.array([T0], pa.timestamp("us")), NS, T0, "[]*time.Time", go_value=T0_GO),
    _case(
        "timestamp_ms_berlin",
        pa.array([T0], pa.timestamp("ms", tz="Europe/Berlin")),
        NS,
        T0.replace(microsecond=123000),
        "[]*time.Time",
        go_value="2024-05-06T10:00:00.123Z",
    ),
    _case(
        "timestamp_out_of_ns_range", pa.array([dt.datetime(3000, 1, 1)], pa.timestamp("us")), NS, None, "[]*time.Time"
    ),
    _case(
        "timestamp_not_nullable",
        pa.array([T0], pa.timestamp("us")),
        NS,
        T0,
        "[]time.Time",
        go_value=T0_GO,
        nullable=False,
    ),
    # Times of day, durations, intervals.
    _case("time64", pa.array([dt.time(10, 1, 2)], pa.time64("us")), pa.string(), "10:01:02", "[]*string"),
    _case("time32", pa.array([dt.time(10, 1, 2)], pa.time32("s")), pa.string(), "10:01:02", "[]*string"),
    _case(
        "duration",
        pa.array([dt.timedelta(seconds=1.5)], pa.duration("us")),
        pa.int64(),
        1500,
        "[]*int64",
        go_config={"unit": "ms"},
    ),
    _case(
        "month_day_nano_interval",
        pa.array([pa.MonthDayNano([1, 2, 3_000_000_000])]),
        pa.string(),
        "P1M2DT3S",
        "[]*string",
    ),
    # Bytes: base64 text (Grafana's binary type means JSON).
    _case("binary", pa.array([b"\xaa"], pa.binary()), pa.string(), "qg==", "[]*string"),
    _case("large_binary", pa.array([b"\xaa"], pa.large_binary()), pa.string(), "qg==", "[]*string"),
    _case("fixed_size_binary", pa.array([b"\xaa"], pa.binary(1)), pa.string(), "qg==", "[]*string"),
    # Bare NULLs.
    _case("null_type", pa.nulls(2), pa.string(), None, "[]*string"),
    _case("all_null_int64", pa.array([None], pa.int64()), pa.int64(), None, "[]*int64"),
    _case(
        "null_in_field_declared_not_nullable",
        pa.array([None, 1], pa.int64()),
        pa.int64(),
        None,
        "[]*int64",
        nullable=False,
    ),
    # Nested values: JSON documents in a binary column (Go: json.RawMessage).
    _case(
        "list", pa.array([[1, 2]], pa.list_(pa.int64())), pa.binary(), b"[1,2]", "[]*json.RawMessage", go_value=[1, 2]
    ),
    _case(
        "large_list_nan",
        pa.array([[1.0, float("nan")]], pa.large_list(pa.float64())),
        pa.binary(),
        b"[1.0,null]",
        "[]*json.RawMessage",
        go_value=[1.0, None],
    ),
    _case(
        "fixed_size_list",
        pa.array([[1, 2]], pa.list_(pa.int32(), 2)),
        pa.binary(),
        b"[1,2]",
        "[]*json.RawMessage",
        go_value=[1, 2],
    ),
    _case(
        "struct",
        pa.array([{"a": 1}], pa.struct([("a", pa.int64())])),
        pa.binary(),
        b'{"a":1}',
        "[]*json.RawMessage",
        go_value={"a": 1},
    ),
    _case(
        "map_string_keys",
        pa.array([[("k", 1)]], pa.map_(pa.string(), pa.int64())),
        pa.binary(),
        b'{"k":1}',
        "[]*json.RawMessage",
        go_value={"k": 1},
    ),
    _case(
        "map_int_keys",
        pa.array([[(1, "v")]], pa.map_(pa.int64(), pa.string())),
        pa.binary(),
        b'[{"key":1,"value":"v"}]',
        "[]*json.RawMessage",
        go_value=[{"key": 1, "value": "v"}],
    ),
    _case(
        "struct_with_timestamp",
        pa.array([{"t": T0}], pa.struct([("t", pa.timestamp("us", tz="UTC"))])),
        pa.binary(),
        b'{"t":"2024-05-06T10:00:00.123456+00:00"}',
        "[]*json.RawMessage",
        go_value={"t": "2024-05-06T10:00:00.123456+00:00"},
    ),
    # Types Grafana reads as they are.
    _case("int8", pa.array([-128], pa.int8()), pa.int8(), -128, "[]*int8"),
    _case("int16", pa.array([-32768], pa.int16()), pa.int16(), -32768, "[]*int16"),
    _case("int32", pa.array([2**31 - 1], pa.int32()), pa.int32(), 2**31 - 1, "[]*int32"),
    _case("int64", pa.array([INT64_MAX], pa.int64()), pa.int64(), INT64_MAX, "[]*int64"),
    _case("int64_not_nullable", pa.array([-1], pa.int64()), pa.int64(), -1, "[]int64", nullable=False),
    _case("uint8", pa.array([255], pa.uint8()), pa.uint8(), 255, "[]*uint8"),
    _case("uint16", pa.array([7], pa.uint16()), pa.uint16(), 7, "[]*uint16"),
    _case("uint32", pa.array([2**32 - 1], pa.uint32()), pa.uint32(), 2**32 - 1, "[]*uint32"),
    _case("uint64", pa.array([UINT64_MAX], pa.uint64()), pa.uint64(), UINT64_MAX, "[]*uint64"),
    _case("float32", pa.array([0.25], pa.float32()), pa.float32(), 0.25, "[]*float32"),
    _case("float64", pa.array([-1.5e300], pa.float64()), pa.float64(), -1.5e300, "[]*float64"),
    _case("string", pa.array(["héllo ✓"], pa.string()), pa.string(), "héllo ✓", "[]*string"),
    _case("bool", pa.array([True]), pa.bool_(), True, "[]*bool"),
)

CASES_BY_NAME = {case.name: case for case in COERCION_CASES}
assert len(CASES_BY_NAME) == len(COERCION_CASES), "case names must be unique"
