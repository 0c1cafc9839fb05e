"""The one registry of macros: how each expands and how the editor documents it.

Every macro is one function ``(call, ctx, findings) -> str`` plus its help entry; the expander looks
macros up here and :func:`cloudsql_cos_ts.resources.reference.macro_reference` serves the same entries to the
query editor, so help and behaviour cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.macros import relations, time
from cloudsql_cos_ts.macros.model import Findings, MacroCall, MacroContext

Expander = Callable[[MacroCall, MacroContext, Findings], str]


@dataclass(frozen=True)
class Macro:
    name: str
    signature: str
    description: str
    example: str
    expand: Expander
    removes_into: bool = False  # the INTO keyword before the macro goes away with it


MACROS: tuple[Macro, ...] = (
    Macro(
        "$__source",
        "$__source",
        "The datasource's configured source (a cos:// URL or local folder) as a table; usable "
        "anywhere a table can stand: FROM, JOIN, DESCRIBE(...).",
        "SELECT name, type FROM DESCRIBE($__source)",
        relations.source,
    ),
    Macro(
        "$__source_prev",
        "$__source_prev(RefId)",
        "The result of another query of the same panel as a table. That query runs first; turn "
        "its 'Get Queried Result' off if only this one should be shown.",
        "SELECT action, count(*) AS n FROM $__source_prev(A) GROUP BY action",
        relations.source_prev,
    ),
    Macro(
        "$__dest",
        "INTO $__dest[(format[, suffix])]",
        "Write the result to the datasource's configured destination; format parquet, csv "
        "(default) or json; suffix is a relative path (letters, digits, - _ . / =). The plugin "
        "writes the file; the INTO clause is removed from the SQL.",
        "SELECT * FROM FLOW_FLAT INTO $__dest(parquet, flows/day=2024-05-06)",
        relations.dest,
        removes_into=True,
    ),
    Macro(
        "$__timeFilter",
        "$__timeFilter[(type)]",
        "Dashboard range filter on the query's Time Column: (col >= from AND col <= to), UTC. "
        "type: timestamp, string (RFC 3339 text), epoch_ms (also long) or epoch_s; without a type "
        "it is inferred from the column's type (unknown columns count as timestamp). The flow-log "
        "objects read are chosen from the query's own time predicates (this macro, or plain ones on "
        "start_time, end_time, capture_start_time, capture_end_time, year/month/day/hour); a query "
        "with none reads the dashboard range exactly and says so in a notice.",
        "SELECT * FROM FLOW_FLAT WHERE $__timeFilter(string)",
        time.time_filter,
    ),
    Macro(
        "$__timeFilterColumn",
        "$__timeFilterColumn(column[, type])",
        "Dashboard range filter on the given column (types as for $__timeFilter).",
        "SELECT * FROM FLOW_FLAT WHERE $__timeFilterColumn(start_time, string)",
        time.time_filter_column,
    ),
    Macro(
        "$__timeFrom",
        "$__timeFrom()",
        "Start of the dashboard range as a timestamp (UTC).",
        "SELECT * FROM FLOW_FLAT WHERE capture_start_time >= $__timeFrom()",
        time.time_from,
    ),
    Macro(
        "$__timeTo",
        "$__timeTo()",
        "End of the dashboard range as a timestamp (UTC).",
        "SELECT * FROM FLOW_FLAT WHERE capture_start_time <= $__timeTo()",
        time.time_to,
    ),
    Macro(
        "$__unixEpochFrom",
        "$__unixEpochFrom()",
        "Start of the dashboard range in seconds since 1970.",
        "SELECT $__unixEpochFrom() AS range_start",
        time.unix_epoch_from,
    ),
    Macro(
        "$__unixEpochTo",
        "$__unixEpochTo()",
        "End of the dashboard range in seconds since 1970.",
        "SELECT $__unixEpochTo() AS range_end",
        time.unix_epoch_to,
    ),
    Macro(
        "$__unixEpochFilter",
        "$__unixEpochFilter(column)",
        "Dashboard range filter on a column holding seconds since 1970.",
        "SELECT count(*) AS n FROM FLOW_FLAT WHERE $__unixEpochFilter(unix_timestamp(to_timestamp(start_time)))",
        time.unix_epoch_filter,
    ),
    Macro(
        "$__interval",
        "$__interval",
        "Grafana's suggested bucket width for the panel, as text such as 5m or 30s.",
        "SELECT $__timeGroup(start_time, $__interval) AS time, count(*) FROM FLOW_FLAT GROUP BY 1",
        time.interval,
    ),
    Macro(
        "$__interval_ms",
        "$__interval_ms",
        "Grafana's suggested bucket width in milliseconds.",
        "SELECT $__interval_ms AS bucket_ms",
        time.interval_ms,
    ),
    Macro(
        "$__timeGroup",
        "$__timeGroup(column, interval[, fill])",
        "The column's time rounded down to a multiple of interval since 1970 (a TIMESTAMP, UTC). "
        "column: timestamp, RFC 3339 text or epoch-ms integer. interval: '5m', 1h, 30s, 500ms, a "
        "number of ms or $__interval. fill: NULL, previous or a number — empty buckets of the "
        "range are added to the result with that value.",
        "SELECT $__timeGroup(start_time, '5m', 0) AS time, count(*) AS n FROM FLOW_FLAT GROUP BY 1",
        time.time_group,
    ),
    Macro(
        "$__timeGroupAlias",
        "$__timeGroupAlias(column, interval[, fill])",
        "$__timeGroup(...) AS `time`.",
        "SELECT $__timeGroupAlias(start_time, $__interval), count(*) AS n FROM FLOW_FLAT GROUP BY 1",
        time.time_group_alias,
    ),
    Macro(
        "$__unixEpochGroup",
        "$__unixEpochGroup(column, interval[, fill])",
        "$__timeGroup for a column holding seconds since 1970 (Grafana's SQL macro): the bucket is a "
        "TIMESTAMP (UTC), where Grafana's SQL datasources return seconds; a panel shows both alike.",
        "SELECT $__unixEpochGroup(unix_timestamp(to_timestamp(start_time)), '5m') AS time, count(*) AS n "
        "FROM FLOW_FLAT GROUP BY 1",
        time.unix_epoch_group,
    ),
    Macro(
        "$__unixEpochGroupAlias",
        "$__unixEpochGroupAlias(column, interval[, fill])",
        "$__unixEpochGroup(...) AS `time`.",
        "SELECT $__unixEpochGroupAlias(unix_timestamp(to_timestamp(start_time)), 1h, 0), count(*) AS n "
        "FROM FLOW_FLAT GROUP BY 1",
        time.unix_epoch_group_alias,
    ),
    Macro(
        "$__timeEpoch",
        "$__timeEpoch(column)",
        "The column's time in whole seconds since 1970, named time (Grafana's SQL macro). column: "
        "timestamp, RFC 3339 text (NULL when empty or not a time) or epoch-ms integer.",
        "SELECT $__timeEpoch(start_time), target_port FROM FLOW_FLAT WHERE $__timeFilter(string)",
        time.time_epoch,
    ),
)

_BY_NAME = {macro.name: macro for macro in MACROS}


def lookup(call: MacroCall) -> Macro:
    """The macro a call names; an unknown name is a 400 listing the known ones."""
    macro = _BY_NAME.get(call.name)
    if macro is None:
        known = ", ".join(sorted(_BY_NAME))
        raise BadRequest(f"unknown macro {call.describe()}; known macros: {known}")
    return macro
