"""``FLOW_ENRICHED`` on DuckDB as joins against lookup tables, not as a Python call per vector.

Why: DuckDB calls a Python UDF once per 2,048-row vector at about 1 ms a call, so enriching every
row of a million flows through the functions cost seconds. Here the lookup data lives in DuckDB
tables (loaded once per engine and set of files), each distinct address a query reads is keyed and
looked up once in SQL, and the rows get their answers by hash joins on the address text. The range
tables are cut into blocks (an IPv4 /16, an IPv6 /16) so an address finds its range by an equality
join on the block plus a check of the range's ends: an ASOF join would sort the half-million ranges
again for every query. Only the enriched columns a query names are joined (DuckDB keeps a LEFT JOIN
whose columns are unused).

The answers are those of the enrichment functions (``enrichment/functions.py``), which stay
registered for SQL that calls them: the same bundled or user ranges, public-only country and ASN,
the narrowest user subnet (the ranges are flattened at load), the same address syntax.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Callable

import duckdb
import duckdb.func
import numpy as np
import pyarrow as pa

from cloudsql_cos_ts.enrichment.addresses import parse
from cloudsql_cos_ts.enrichment.data import EnrichmentData
from cloudsql_cos_ts.enrichment.names import service_table
from cloudsql_cos_ts.enrichment.scope import BLOCKS, PUBLIC
from cloudsql_cos_ts.flowlogs.schema import ENRICHED_COLUMNS

_V4_OCTET = r"([01]?\d?\d|2[0-4]\d|25[0-5])"  # what addresses.py accepts: 1-3 digits, at most 255
_V4 = rf"{_V4_OCTET}(\.{_V4_OCTET}){{3}}"
_SHIFT = {4: 16, 6: 48}  # key bits below a block: an IPv4 /16, an IPv6 /16 (of the upper 64 bits)
_FAMILY = 1 << 32  # block ids of the two families never meet
_PER_END = ("country", "asn", "as_name", "scope", "subnet")
_V6_HIGH, _V6_LOW = "__enrich_ipv6_high", "__enrich_ipv6_low"


class LookupTables:
    """The enrichment data of one engine as DuckDB tables, replaced when the data is (a user's file changed)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded: EnrichmentData | None = None

    def ensure(self, cursor: duckdb.DuckDBPyConnection, data: EnrichmentData) -> None:
        with self._lock:
            if self._loaded is data:
                return
            _create(cursor, "__enrich_country", _blocks(data.country.to_arrow(("country",))))
            _create(cursor, "__enrich_asn", _blocks(data.asn.to_arrow(("asn", "as_name"))))
            subnets = data.subnets.to_arrow(("name",)) if data.subnets is not None else None
            _create(cursor, "__enrich_subnets", _blocks(subnets) if subnets is not None else _EMPTY_SUBNETS)
            _create(cursor, "__enrich_services", _flow_keys(service_table(data.services), ("port", "protocol")))
            numbers, names = data.protocols.entries()
            protocols = pa.table({"number": pa.array(numbers), "name": names})
            _create(cursor, "__enrich_protocols", _flow_keys(protocols, ("number",)))
            self._loaded = data


_EMPTY_SUBNETS = pa.Table.from_batches(
    [], pa.schema([("first", pa.uint64()), ("last", pa.uint64()), ("name", pa.string()), ("block", pa.int64())])
)


def register_key_functions(conn: duckdb.DuckDBPyConnection) -> None:
    """The IPv6 halves of an address text (NULL when it is none): IPv6 text is parsed in Python, once
    per distinct address; IPv4 is keyed in SQL."""

    def half(low: bool) -> Callable[[pa.Array], pa.Array]:
        def run(values: pa.Array) -> pa.Array:
            addresses = parse(values)
            return pa.array(addresses.low if low else addresses.key, mask=addresses.family != 6)

        return run

    for name, low in ((_V6_HIGH, False), (_V6_LOW, True)):
        conn.create_function(
            name,
            half(low),
            ["varchar"],
            "ubigint",
            type=duckdb.func.ARROW,
            null_handling=duckdb.func.SPECIAL,
            side_effects=False,
        )


def _create(cursor: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> None:
    cursor.register("__enrich_load", table)
    try:
        cursor.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM __enrich_load")
    finally:
        cursor.unregister("__enrich_load")


def _flow_keys(table: pa.Table, keys: tuple[str, ...]) -> pa.Table:
    """The port and protocol keys as 32-bit integers, the type of ``FLOW_FLAT``'s columns: a join over
    every row then compares them as they are, without casting each row's values."""
    for key in keys:
        table = table.set_column(table.schema.get_field_index(key), key, table[key].cast(pa.int32()))
    return table


def _blocks(table: pa.Table) -> pa.Table:
    """Each range once per block it touches, with the block id (family and the key's high bits)."""
    family = table["family"].to_numpy()
    shift = np.where(family == 4, _SHIFT[4], _SHIFT[6]).astype(np.uint64)
    low = table["first"].to_numpy() >> shift
    counts = (table["last"].to_numpy() >> shift) - low + np.uint64(1)
    rows = np.repeat(np.arange(len(low)), counts.astype(np.int64))
    step = np.arange(len(rows)) - np.repeat(
        np.cumsum(counts.astype(np.int64)) - counts.astype(np.int64), counts.astype(np.int64)
    )
    block = family.astype(np.int64)[rows] * _FAMILY + low[rows].astype(np.int64) + step
    return table.take(pa.array(rows)).drop_columns(["family"]).append_column("block", pa.array(block))


def _scope_case() -> str:
    """``ip_scope`` in SQL over the keyed address (family, k, low): the narrowest block first."""
    arms = []
    for text, name in sorted(BLOCKS, key=lambda block: -ipaddress.ip_network(block[0]).prefixlen):
        network = ipaddress.ip_network(text)
        first, last = int(network.network_address), int(network.broadcast_address)
        if network.version == 4:
            arms.append(f"WHEN family = 4 AND k BETWEEN {first} AND {last} THEN '{name}'")
        elif network.prefixlen > 64:  # a single address: both halves
            arms.append(f"WHEN family = 6 AND k = {first >> 64} AND low = {first & ((1 << 64) - 1)} THEN '{name}'")
        else:
            arms.append(f"WHEN family = 6 AND k BETWEEN {first >> 64} AND {last >> 64} THEN '{name}'")
    return f"CASE {' '.join(arms)} WHEN family IS NOT NULL THEN '{PUBLIC}' END"


_KEYED = (  # each distinct address: family (4, 6, NULL), key, IPv6 low half, block id, scope
    f"SELECT ip, family, k, low, CAST(family AS BIGINT) * {_FAMILY} + CAST(k >> CASE family WHEN 4 THEN {_SHIFT[4]}"
    f" ELSE {_SHIFT[6]} END AS BIGINT) AS block, {_scope_case()} AS scope FROM (SELECT ip, CASE WHEN v4 THEN 4 WHEN"
    " high IS NOT NULL THEN 6 END AS family, CASE WHEN v4 THEN CAST(split_part(ip, '.', 1) AS UBIGINT) * 16777216"
    " + CAST(split_part(ip, '.', 2) AS UBIGINT) * 65536 + CAST(split_part(ip, '.', 3) AS UBIGINT) * 256"
    f" + CAST(split_part(ip, '.', 4) AS UBIGINT) ELSE high END AS k, CASE WHEN v4 THEN 0 ELSE {_V6_LOW}(ip) END AS low"
    f" FROM (SELECT ip, regexp_full_match(ip, '{_V4}') AS v4, CASE WHEN contains(ip, ':') THEN {_V6_HIGH}(ip) END"
    " AS high FROM __enrich_ends))"
)
_RANGE_JOIN = "LEFT JOIN {table} {alias} ON {alias}.block = a.block AND a.k BETWEEN {alias}.first AND {alias}.last"


def address_answers(ends: str, parts: frozenset[str]) -> str:
    """Each address of the relation ``ends`` (one ``ip`` column, each address once, no NULL) with the
    answers ``parts`` names, looked up in the lookup tables; the others are left out."""
    address = ["a.ip", "a.scope"]
    ranges = []
    if "country" in parts:
        address.append(f"CASE WHEN a.scope = '{PUBLIC}' THEN c.country END AS country")
        ranges.append(_RANGE_JOIN.format(table="__enrich_country", alias="c"))
    if parts & {"asn", "as_name"}:
        address += [f"CASE WHEN a.scope = '{PUBLIC}' THEN n.{name} END AS {name}" for name in ("asn", "as_name")]
        ranges.append(_RANGE_JOIN.format(table="__enrich_asn", alias="n"))
    if "subnet" in parts:
        address.append("s.name AS subnet")
        ranges.append(_RANGE_JOIN.format(table="__enrich_subnets", alias="s"))
    return (
        f"WITH __enrich_ends AS ({ends}), __enrich_keyed AS ({_KEYED}) "
        f"SELECT {', '.join(address)} FROM __enrich_keyed a {' '.join(ranges)}"
    )


def enriched_ends(columns: frozenset[str]) -> list[str]:
    """The ends of a flow (``initiator``, ``target``) whose address answers ``columns`` name."""
    return [end for end in ("initiator", "target") if any(f"{end}_{part}" in columns for part in _PER_END)]


def enriched_view(flat: str, columns: frozenset[str]) -> str:
    """``FLOW_ENRICHED`` over the relation ``flat``, computing ``columns`` (others are typed NULLs): the
    distinct addresses of ``flat`` are looked up first, then the rows join their answers."""
    ends = enriched_ends(columns)
    parts = frozenset(part for end in ends for part in _PER_END if f"{end}_{part}" in columns)
    select, joins, ctes = [], [], []
    if ends:
        union = " UNION ALL ".join(f"SELECT {end}_ip AS ip FROM {flat}" for end in ends)
        # MATERIALIZED: the look-ups run once per distinct address, where the join order optimiser
        # would otherwise move the range joins above the join with the flows, to run once per row
        distinct = f"SELECT DISTINCT ip FROM ({union}) WHERE ip IS NOT NULL"
        ctes.append(f"__enrich_address AS MATERIALIZED ({address_answers(distinct, parts)})")
    joins += [f"LEFT JOIN __enrich_address {end[0]} ON {end[0]}.ip = f.{end}_ip" for end in ends]
    if "target_service" in columns:
        joins.append("LEFT JOIN __enrich_services sv ON sv.port = f.target_port AND sv.protocol = f.transport_protocol")
    if "protocol_name" in columns:
        joins.append("LEFT JOIN __enrich_protocols pn ON pn.number = f.transport_protocol")
    for name, kind in ENRICHED_COLUMNS:
        end, _, part = name.partition("_")
        if name not in columns:
            select.append(f"CAST(NULL AS {kind}) AS {name}")
        elif name == "target_service":
            select.append(f"sv.name AS {name}")
        elif name == "protocol_name":
            select.append(f"pn.name AS {name}")
        else:
            select.append(f"{end[0]}.{part} AS {name}")
    with_clause = f"WITH {', '.join(ctes)} " if ctes else ""
    return f"{with_clause}SELECT f.*, {', '.join(select)} FROM {flat} f {' '.join(joins)}"
