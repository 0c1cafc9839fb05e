"""The authoritative column lists of ``FLOW`` and ``FLOW_FLAT`` (names and DuckDB types).

One module so the DuckDB views, the schema resource endpoint and other engines agree. Types follow
the project's dashboard document where it speaks (``capture_start_time`` and
``connection_start_time`` are timestamps; ``start_time``, ``end_time`` and ``capture_end_time`` stay
RFC 3339 strings in ``FLOW_FLAT``) and IBM's ``FLOW`` table otherwise (record times stay strings
inside ``flow_logs``; both capture times are timestamps). The real field ``was_terminated`` is used,
not IBM's misspelt ``was_termined``.
"""

from __future__ import annotations

from cloudsql_cos_ts.flowlogs.layout import PARTITION_NAMES

Column = tuple[str, str]  # (name, DuckDB type)

_STRING = "VARCHAR"
_TIMESTAMP = "TIMESTAMP"
_INT = "INTEGER"
_LONG = "BIGINT"
_BOOL = "BOOLEAN"

# Record members in IBM's order; the three times are strings as IBM's FLOW table declared them.
RECORD_MEMBERS: tuple[Column, ...] = (
    ("start_time", _STRING), ("end_time", _STRING), ("connection_start_time", _STRING),
    ("direction", _STRING), ("action", _STRING), ("initiator_ip", _STRING), ("target_ip", _STRING),
    ("initiator_port", _INT), ("target_port", _INT), ("transport_protocol", _INT), ("ether_type", _STRING),
    ("was_initiated", _BOOL), ("was_terminated", _BOOL),
    ("bytes_from_initiator", _LONG), ("packets_from_initiator", _LONG),
    ("bytes_from_target", _LONG), ("packets_from_target", _LONG),
    ("cumulative_bytes_from_initiator", _LONG), ("cumulative_packets_from_initiator", _LONG),
    ("cumulative_bytes_from_target", _LONG), ("cumulative_packets_from_target", _LONG),
)
# DuckDB writes a member name that is a keyword quoted; spelling the type the same way keeps this
# string equal to what DESCRIBE reports.
_KEYWORD_MEMBERS = frozenset({"action"})
RECORD_STRUCT = "STRUCT(" + ", ".join(
    f'"{name}" {kind}' if name in _KEYWORD_MEMBERS else f"{name} {kind}" for name, kind in RECORD_MEMBERS
) + ")"

# Header fields as they appear in the JSON document (all strings there, except the count).
HEADER_JSON: tuple[Column, ...] = (
    ("version", _STRING), ("collector_crn", _STRING), ("attached_endpoint_type", _STRING),
    ("network_interface_id", _STRING), ("instance_crn", _STRING), ("vpc_crn", _STRING),
    ("capture_start_time", _STRING), ("capture_end_time", _STRING), ("state", _STRING),
    ("number_of_flow_logs", _INT),
)

PARTITIONS: tuple[Column, ...] = tuple(
    (name, _INT if name in ("year", "month", "day", "hour") else _STRING) for name in PARTITION_NAMES
)
_PARTITION_TYPES = dict(PARTITIONS)

FLOW_COLUMNS: tuple[Column, ...] = (
    ("version", _STRING), ("collector_crn", _STRING), ("attached_endpoint_type", _STRING),
    ("network_interface_id", _STRING), ("instance_crn", _STRING), ("vpc_crn", _STRING),
    ("capture_start_time", _TIMESTAMP), ("capture_end_time", _TIMESTAMP), ("state", _STRING),
    ("number_of_flow_logs", _INT), ("flow_logs", f"{RECORD_STRUCT}[]"),
    *PARTITIONS,
)

_FLAT_PARTITIONS = ("vnic-id", "record-type", "year", "month", "day", "hour", "stream-id")
FLOW_FLAT_COLUMNS: tuple[Column, ...] = (
    ("version", _STRING), ("collector_crn", _STRING), ("attached_endpoint_type", _STRING),
    ("network_interface_id", _STRING), ("instance_crn", _STRING),
    ("capture_start_time", _TIMESTAMP), ("capture_end_time", _STRING),
    *((name, _PARTITION_TYPES[name]) for name in _FLAT_PARTITIONS),
    *(
        (name, _TIMESTAMP if name == "connection_start_time" else kind)
        for name, kind in RECORD_MEMBERS
    ),
)

SOURCE = "__SOURCE"
"""The relation ``$__source`` reads: the configured source as one table, whatever its format."""
FLOW, FLOW_FLAT = "FLOW", "FLOW_FLAT"
"""IBM's two views of flow logs: one row per object (records nested), one row per record."""
FLOW_ENRICHED = "FLOW_ENRICHED"
"""``FLOW_FLAT`` plus the enrichment of both ends (``enrichment/view.py`` computes these columns)."""
# What a flow-log source serves (FLOW_ENRICHED through FLOW_FLAT): their time predicates choose the scan.
FLOW_RELATIONS = frozenset({FLOW, FLOW_FLAT, FLOW_ENRICHED, SOURCE})

ENRICHED_COLUMNS: tuple[Column, ...] = (
    *(
        (f"{end}_{name}", _LONG if name == "asn" else _STRING)
        for end in ("initiator", "target")
        for name in ("country", "asn", "as_name", "scope", "subnet")
    ),
    ("target_service", _STRING), ("protocol_name", _STRING),
)

RELATIONS: dict[str, tuple[Column, ...]] = {
    FLOW: FLOW_COLUMNS, FLOW_FLAT: FLOW_FLAT_COLUMNS, FLOW_ENRICHED: FLOW_FLAT_COLUMNS + ENRICHED_COLUMNS
}


def quote_identifier(name: str) -> str:
    """A DuckDB identifier (partition names carry hyphens)."""
    return '"' + name.replace('"', '""') + '"'
