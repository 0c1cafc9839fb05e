"""``FLOW_ENRICHED``: ``FLOW_FLAT`` with both ends of every flow enriched, as plain SQL.

The view is the enrichment functions applied to ``FLOW_FLAT``'s columns, so one text serves every
engine that registers the functions; its columns and their types are declared with the other views
in ``flowlogs/schema.py`` (``ENRICHED_COLUMNS``), and ``EXPRESSIONS`` names one call per column.
"""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet

from cloudsql_cos_ts.enrichment.functions import NAMES
from cloudsql_cos_ts.flowlogs.schema import FLOW_ENRICHED, FLOW_FLAT

_PER_END = {"country": "geo_country", "asn": "asn", "as_name": "as_name", "scope": "ip_scope", "subnet": "subnet_name"}
CALLS: dict[str, tuple[str, tuple[str, ...]]] = {  # each enriched column: its function and the columns it takes
    **{
        f"{end}_{column}": (function, (f"{end}_ip",))
        for end in ("initiator", "target")
        for column, function in _PER_END.items()
    },
    "target_service": ("service_name", ("target_port", "transport_protocol")),
    "protocol_name": ("protocol_name", ("transport_protocol",)),
}
EXPRESSIONS: dict[str, str] = {name: f"{function}({', '.join(args)})" for name, (function, args) in CALLS.items()}
_CALL = re.compile(r"\b(" + "|".join(sorted(NAMES)) + r")\s*\(|\b" + FLOW_ENRICHED + r"\b", re.IGNORECASE)


def enriched_select(flat: str) -> str:
    """The view's SELECT over the relation ``flat`` (``FLOW_FLAT`` as the engine registered it)."""
    columns = ", ".join(f"{call} AS {name}" for name, call in EXPRESSIONS.items())
    return f"SELECT *, {columns} FROM {flat}"


_COUNT_ALL = re.compile(r"\bcount\s*\(\s*\*\s*\)", re.IGNORECASE)
_ALL_COLUMNS = re.compile(r"\*|\bcolumns\s*\(", re.IGNORECASE)
_ENRICHED_NAME = re.compile(r"\b(" + "|".join(EXPRESSIONS) + r")\b", re.IGNORECASE)


def columns_read(sql: str) -> frozenset[str]:
    """The ``FLOW_ENRICHED`` columns SQL may read, so an engine computes only those: the names it
    mentions, or all of them when it may select every column (``*`` other than ``count(*)``, ``COLUMNS(…)``)."""
    if _ALL_COLUMNS.search(_COUNT_ALL.sub("", sql)):
        return frozenset(EXPRESSIONS)
    return frozenset(name.lower() for name in _ENRICHED_NAME.findall(sql))


def enriches(sql: str) -> bool:
    """Whether SQL calls an enrichment function or reads ``FLOW_ENRICHED`` (so the data must be loaded)."""
    return _CALL.search(sql) is not None


def functions_used(sql: str) -> frozenset[str]:
    """The enrichment functions SQL needs: those it calls, and all of them when it reads ``FLOW_ENRICHED``."""
    found = {match.lower() for match in _CALL.findall(sql)}
    return NAMES if "" in found else frozenset(found)


def source_relations(wanted: AbstractSet[str], schema_only: frozenset[str]) -> tuple[frozenset[str], frozenset[str]]:
    """What to ask the source for when a query reads ``FLOW_ENRICHED``: ``FLOW_FLAT`` in its place,
    needed for its rows unless both are only described."""
    if FLOW_ENRICHED not in wanted:
        return frozenset(wanted), schema_only
    flat_rows = FLOW_ENRICHED not in schema_only or (FLOW_FLAT in wanted and FLOW_FLAT not in schema_only)
    described = schema_only - {FLOW_ENRICHED, FLOW_FLAT}
    return frozenset((wanted - {FLOW_ENRICHED}) | {FLOW_FLAT}), described if flat_rows else described | {FLOW_FLAT}
