"""Grafana and IBM SQL Query macros: ``$__name`` / ``$__name(args)`` expanded before translation.

Public API (used by the query pipeline and the resource endpoints)::

    expand_macros(sql: str, ctx: MacroContext) -> Expansion
    find_prev_refs(sql: str) -> tuple[str, ...]          # refIds of $__source_prev(...), nothing expanded
    prev_relation_name(ref_id: str) -> str               # "A" -> "__PREV_A"
    check_bucket_counts(fills, time_range, row_limit)     # $__timeGroup fill: 400 before execution
    apply_fills(table, fills, time_range, row_limit) -> pa.Table   # $__timeGroup fill, after execution
    MacroContext, Expansion, DestSpec, TimeGroupFill     # dataclasses (see model.py)

Macros (the registry in ``registry.py`` is the single source of their help text):

* ``$__source`` — the configured source relation (``MacroContext.source_relation``), anywhere a
  table can stand; not configured -> 400 saying to set the datasource's "source".
* ``$__source_prev(RefId)`` -> ``prev_relation_name(RefId)``; an unknown refId -> 400 naming it.
  (Cycles are detected by the pipeline with :func:`find_prev_refs`.)
* ``INTO $__dest``, ``$__dest()``, ``$__dest(fmt)``, ``$__dest(fmt, suffix)`` — fmt parquet/csv/
  json (default csv, any case); suffix a relative path of letters, digits, ``- _ . / =`` (no ``..``,
  not absolute). The ``INTO $__dest(...)`` text is removed; ``Expansion.dest`` tells the plugin
  where to write. No destination configured -> 400.
* ``$__timeFilter``, ``$__timeFilter()``, ``$__timeFilter(type)`` on the Time Column (none -> 400
  saying to set it or use ``$__timeFilterColumn``); ``$__timeFilterColumn(col[, type])``;
  ``$__unixEpochFilter(col)``. Closed range ``(x >= from AND x <= to)`` in UTC, as Grafana's SQL
  data sources. Types and inference: see ``time.py``.
* ``$__timeFrom()``, ``$__timeTo()`` (timestamps), ``$__unixEpochFrom()``, ``$__unixEpochTo()``
  (seconds), ``$__interval`` (text such as ``5m``), ``$__interval_ms`` (a number).
* ``$__timeGroup(col, interval[, fill])`` — a TIMESTAMP rounded down to a multiple of the
  interval since 1970; col may be a timestamp, RFC 3339 text or epoch-ms integer (integer source
  columns per ``column_type``). fill ``NULL`` | ``previous`` | number -> ``Expansion.fills``, applied
  by :func:`apply_fills`. ``$__timeGroupAlias(...)`` adds ``AS `time```.

The expanded SQL is still IBM's Spark dialect (``cloudsql_cos_ts.dialect.translate`` comes next).
Macros inside strings, quoted names and comments are left alone; an unknown ``$__name`` is a 400
listing the known macros. Every error is a :class:`~cloudsql_cos_ts.errors.BadRequest` naming the
macro and its line and column.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cloudsql_cos_ts.macros.expand import expand_macros
    from cloudsql_cos_ts.macros.fill import apply_fills, check_bucket_counts
    from cloudsql_cos_ts.macros.model import DestSpec, Expansion, MacroContext, TimeGroupFill
    from cloudsql_cos_ts.macros.relations import find_prev_refs, prev_relation_name

# Where each public name lives. The names are loaded on first use (PEP 562) because importing
# ``cloudsql_cos_ts.macros.model`` runs this file first, and the plugin process imports the model
# before Grafana's handshake: the fill (pyarrow, numpy) must wait.
_HOMES = {
    "expand_macros": "expand",
    "apply_fills": "fill",
    "check_bucket_counts": "fill",
    "DestSpec": "model",
    "Expansion": "model",
    "MacroContext": "model",
    "TimeGroupFill": "model",
    "find_prev_refs": "relations",
    "prev_relation_name": "relations",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)


__all__ = [
    "DestSpec",
    "Expansion",
    "MacroContext",
    "TimeGroupFill",
    "apply_fills",
    "check_bucket_counts",
    "expand_macros",
    "find_prev_refs",
    "prev_relation_name",
]
