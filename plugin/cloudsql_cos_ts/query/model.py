"""The query model: the JSON the query editor saves for each query of a panel.

Keys written by our editor are camelCase (``rawSql``, ``timeColumn``...). Dashboards migrated from
IBM's original plugin use ``queryText``, ``time_column``, ``metrics_column`` and ``get_result``; both
are read, ours winning. Unknown keys are ignored (Grafana adds its own, e.g. ``datasource``); a known
key with the wrong type is a 400 naming the key.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from cloudsql_cos_ts.dialect.adhoc import AdhocFilter
from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.lexer import line_col
from cloudsql_cos_ts.query.adhoc import parse_adhoc_filters
from cloudsql_cos_ts.timerange import EARLIEST_MS, LATEST_MS, TimeRange

Format = Literal["table", "time_series", "logs"]
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")

# (our key, the original plugin's key)
_ALIASES = {
    "rawSql": "queryText",
    "timeColumn": "time_column",
    "metricsColumn": "metrics_column",
    "getResult": "get_result",
}


@dataclass(frozen=True)
class QueryModel:
    ref_id: str
    raw_sql: str
    format: Format
    time_column: str
    metrics_column: str
    get_result: bool
    hide: bool
    interval_ms: int
    max_data_points: int
    time_range: TimeRange
    cache_ttl_s: int | None  # per-query override of the datasource TTL; None = use the datasource's
    adhoc_filters: tuple[AdhocFilter, ...] = ()  # the dashboard's ad-hoc filters (query/adhoc.py)


def _get(data: Mapping[str, Any], key: str) -> Any:
    if key in data and data[key] is not None:
        return data[key]
    legacy = _ALIASES.get(key)
    return data.get(legacy) if legacy else None


def _string(data: Mapping[str, Any], key: str) -> str:
    value = _get(data, key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadRequest(f"query field {key} must be a string, got {type(value).__name__}")
    return value


def _sql(data: Mapping[str, Any]) -> str:
    """The query's SQL, refused when it holds a lone surrogate.

    JSON lets a query carry ``"\\ud800"`` (half of a UTF-16 pair, no character on its own); no
    engine can encode it, and DuckDB's own message ("Python Conversion Failure") does not say where.
    """
    sql = _string(data, "rawSql")
    bad = _LONE_SURROGATE.search(sql)
    if bad is not None:
        raise BadRequest(
            f"the SQL holds an invalid character at {line_col(sql, bad.start())}: {bad.group()!r} is half of a "
            "UTF-16 surrogate pair, not a character; retype that part of the query"
        )
    return sql


def _boolean(data: Mapping[str, Any], key: str, default: bool) -> bool:
    value = _get(data, key)
    if value is None:
        return default
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if not isinstance(value, bool):
        raise BadRequest(f"query field {key} must be true or false, got {type(value).__name__}")
    return value


def _integer(data: Mapping[str, Any], key: str, default: int | None) -> int | None:
    value = _get(data, key)
    if value is None or value == "":
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadRequest(f"query field {key} must be a number, got {type(value).__name__}")
    if not math.isfinite(value):  # JSON's NaN / 1e999 reach here as floats int() refuses
        raise BadRequest(f"query field {key} must be a finite number")
    if value < 0:
        raise BadRequest(f"query field {key} must not be negative")
    return int(value)


def _format(data: Mapping[str, Any]) -> Format:
    value = data.get("format")
    if value is None or value == "":
        return "table"
    # Grafana's sqlutil encodes formats as numbers (0 = time series, 1 = table, 2 = logs); accept them too.
    if value in (0, "0", "time_series", "timeseries", "time series"):
        return "time_series"
    if value in (1, "1", "table"):
        return "table"
    if value in (2, "2", "logs"):  # sqlutil's 2 is its logs format
        return "logs"
    raise BadRequest(f"query field format must be 'table', 'time_series' or 'logs', got {value!r}")


def _checked_range(time_range: TimeRange) -> TimeRange:
    for edge in (time_range.from_ms, time_range.to_ms):
        if not EARLIEST_MS <= edge <= LATEST_MS:
            raise BadRequest(f"the time range must lie between the years 1 and 9999 (got {edge} ms since 1970)")
    return time_range


def parse_query(
    raw_json: bytes, *, ref_id: str, time_range: TimeRange, interval_ms: int, max_data_points: int
) -> QueryModel:
    """Parse one ``DataQuery.json``; protocol-level fields fill what the JSON leaves out."""
    try:
        data = json.loads(raw_json) if raw_json and raw_json.strip() else {}
    except (ValueError, RecursionError) as exc:  # ValueError: bad UTF-8, bad JSON, numbers over 4300 digits
        raise BadRequest(f"the query is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BadRequest("the query must be a JSON object")
    return QueryModel(
        ref_id=ref_id or _string(data, "refId") or "A",
        raw_sql=_sql(data),
        format=_format(data),
        time_column=_string(data, "timeColumn").strip(),
        metrics_column=_string(data, "metricsColumn").strip(),
        get_result=_boolean(data, "getResult", True),
        hide=_boolean(data, "hide", False),
        interval_ms=_integer(data, "intervalMs", None) or interval_ms,
        max_data_points=_integer(data, "maxDataPoints", None) or max_data_points,
        time_range=_checked_range(time_range),
        cache_ttl_s=_integer(data, "cacheTtlSeconds", None),
        adhoc_filters=parse_adhoc_filters(data.get("adhocFilters")),
    )
