"""Editor help for IBM's time-series functions, as this plugin implements them.

Served with the macros by ``cloudsql_cos_ts.resources.reference.macro_reference()``; ``docs/time-series-functions.md``
explains the semantics and the differences from IBM's service at length.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FunctionHelp:
    name: str
    signature: str
    description: str
    example: str


_SERIES_CTE = (
    "WITH series AS (SELECT action, ts FROM FLOW_FLAT "
    'USING TIME_SERIES_FORMAT(key="action", timetick="connection_start_time", value="bytes_from_initiator") IN ts) '
)

TS_FUNCTIONS: tuple[FunctionHelp, ...] = (
    FunctionHelp(
        "TIME_SERIES_FORMAT",
        'FROM <table> USING TIME_SERIES_FORMAT(key="k", timetick="t", value="v") IN ts',
        "Turns the rows of a table into one time series per key (key optional) in column ts. "
        "timetick must be a TIMESTAMP or RFC 3339 text column; ticks are epoch milliseconds. "
        "starttime/granularity are not supported. The series can only be used through TS_EXPLODE.",
        _SERIES_CTE + "SELECT action, TS_EXPLODE(ts) AS (tt, value) FROM series",
    ),
    FunctionHelp(
        "TS_EXPLODE",
        "TS_EXPLODE(series) AS (time_name, value_name)",
        "One row per observation: time_name is BIGINT epoch milliseconds (shown as time by the "
        "plugin), value_name a DOUBLE. One TS_EXPLODE per SELECT; the other selected columns "
        "(e.g. the key) are repeated on each row.",
        _SERIES_CTE + "SELECT action, TS_EXPLODE(ts) AS (tt, value) FROM series",
    ),
    FunctionHelp(
        "TS_SEGMENT_BY_TIME",
        "TS_SEGMENT_BY_TIME(ts, window, step)",
        "Time windows of window ms starting every step ms, aligned to multiples of step since "
        "1970-01-01 UTC; window > step gives sliding windows, window = step tumbling buckets. "
        "window/step also accept hour, day, week, <n>minute, <n>hour, <n>day and ISO 8601 "
        "durations (PT15M, P1D). Only windows holding observations are returned; each window's "
        "tick is its start.",
        _SERIES_CTE
        + "SELECT action, TS_EXPLODE(TS_SEG_SUM(TS_SEGMENT_BY_TIME(ts, hour, PT15M))) AS (tt, value) FROM series",
    ),
    FunctionHelp(
        "TS_SEGMENT",
        "TS_SEGMENT(ts, size, step)",
        "Count-based segments: size consecutive observations, a new segment every step "
        "observations (per key, in time order); only complete segments; each segment's tick is "
        "its first observation's tick.",
        _SERIES_CTE + "SELECT action, TS_EXPLODE(TS_SEG_AVG(TS_SEGMENT(ts, 10, 5))) AS (tt, value) FROM series",
    ),
    *(
        FunctionHelp(
            f"TS_SEG_{name}",
            f"TS_SEG_{name}(segments)",
            f"{what} of each segment, as a DOUBLE; use inside TS_EXPLODE.",
            _SERIES_CTE + f"SELECT action, TS_EXPLODE(TS_SEG_{name}(TS_SEGMENT_BY_TIME(ts, 3600000, 3600000))) "
            "AS (tt, value) FROM series",
        )
        for name, what in (
            ("COUNT", "The number of observations"),
            ("SUM", "The sum of the values"),
            ("AVG", "The mean of the values"),
            ("MIN", "The smallest value"),
            ("MAX", "The largest value"),
            ("SD", "The sample standard deviation of the values (NULL for one observation)"),
        )
    ),
)
