"""The one list of enrichment SQL functions: what the engines register and the editor documents.

Each function takes and returns whole Arrow arrays, so an engine calls it once per batch (DuckDB's
Arrow UDFs, Spark's Arrow-backed pandas UDFs). Arguments are text addresses and integer ports and
protocol numbers; anything else (NULL, malformed text, out-of-range numbers) gives NULL.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import pyarrow as pa

from cloudsql_cos_ts.enrichment.addresses import Addresses, parse
from cloudsql_cos_ts.enrichment.data import EnrichmentData
from cloudsql_cos_ts.enrichment.names import service_slots
from cloudsql_cos_ts.enrichment.scope import SCOPES, ip_scope, is_public

Kind = Literal["text", "integer"]
Evaluate = Callable[[EnrichmentData, Sequence[pa.Array]], pa.Array]


@dataclass(frozen=True)
class EnrichmentFunction:
    name: str
    parameters: tuple[Kind, ...]
    result: Kind
    signature: str
    description: str
    example: str
    evaluate: Evaluate
    uses: tuple[str, ...]  # the parts of EnrichmentData it reads (an engine that ships it sends only those)


def _per_address(result: pa.DataType) -> Callable[[Callable[[EnrichmentData, Addresses], pa.Array]], Evaluate]:
    """Answer each distinct address of a batch once: from the memo when an earlier batch asked, else
    computed for all new addresses together; then spread the answers back over the rows."""

    def wrap(compute: Callable[[EnrichmentData, Addresses], pa.Array]) -> Evaluate:
        name = compute.__name__

        def evaluate(data: EnrichmentData, args: Sequence[pa.Array]) -> pa.Array:
            values = args[0].combine_chunks() if isinstance(args[0], pa.ChunkedArray) else args[0]
            encoded = values.dictionary_encode()
            texts = encoded.dictionary.to_pylist()
            memo = data.memo_for(name)
            known = [memo.get(text) for text in texts]
            new = [text for text, found in zip(texts, known, strict=True) if found is None]
            if len(new) * 2 > len(texts):  # mostly unseen: compute the whole batch
                answers = compute(data, parse(encoded.dictionary))
                for text, answer in zip(texts, answers.to_pylist(), strict=True):
                    memo.put(text, (answer,))
                return answers.take(encoded.indices)
            computed = dict(zip(new, compute(data, parse(pa.array(new, pa.string()))).to_pylist(), strict=True))
            for text, answer in computed.items():
                memo.put(text, (answer,))
            merged = [found[0] if found else computed[text] for text, found in zip(texts, known, strict=True)]
            return pa.array(merged, result).take(encoded.indices)

        return evaluate

    return wrap


@_per_address(pa.string())
def _country(data: EnrichmentData, addresses: Addresses) -> pa.Array:
    return data.country.lookup(addresses, "country", admit=is_public(addresses))


@_per_address(pa.int64())
def _asn(data: EnrichmentData, addresses: Addresses) -> pa.Array:
    return data.asn.lookup(addresses, "asn", admit=is_public(addresses))


@_per_address(pa.string())
def _as_name(data: EnrichmentData, addresses: Addresses) -> pa.Array:
    return data.asn.lookup(addresses, "as_name", admit=is_public(addresses))


@_per_address(pa.string())
def _scope(data: EnrichmentData, addresses: Addresses) -> pa.Array:
    return ip_scope(addresses)


@_per_address(pa.string())
def _subnet(data: EnrichmentData, addresses: Addresses) -> pa.Array:
    if data.subnets is None:
        return pa.nulls(len(addresses.key), pa.string())
    return data.subnets.lookup(addresses, "name")


def _service(data: EnrichmentData, args: Sequence[pa.Array]) -> pa.Array:
    return data.services.take(service_slots(args[0], args[1]))


def _protocol(data: EnrichmentData, args: Sequence[pa.Array]) -> pa.Array:
    return data.protocols.take(args[0])


_PUBLIC_ONLY = "NULL for private, IBM Cloud, reserved and documentation addresses and for text that is no address."
FUNCTIONS: tuple[EnrichmentFunction, ...] = (
    EnrichmentFunction(
        "geo_country", ("text",), "text", "geo_country(ip)",
        f"ISO 3166 two-letter country code of a public IPv4/IPv6 address. {_PUBLIC_ONLY}",
        "SELECT geo_country(initiator_ip) AS country, count(*) FROM FLOW_FLAT GROUP BY 1", _country, ("country",),
    ),
    EnrichmentFunction(
        "asn", ("text",), "integer", "asn(ip)",
        f"Number of the autonomous system that announces a public address. {_PUBLIC_ONLY}",
        "SELECT asn(initiator_ip) AS asn, count(*) FROM FLOW_FLAT GROUP BY 1", _asn, ("asn",),
    ),
    EnrichmentFunction(
        "as_name", ("text",), "text", "as_name(ip)",
        f"Name of the organisation behind the autonomous system of a public address. {_PUBLIC_ONLY}",
        "SELECT as_name(initiator_ip) AS network, count(*) FROM FLOW_FLAT GROUP BY 1", _as_name, ("asn",),
    ),
    EnrichmentFunction(
        "ip_scope", ("text",), "text", "ip_scope(ip)",
        "Kind of network an address belongs to: " + ", ".join(SCOPES) + "; NULL for text that is no address.",
        "SELECT * FROM FLOW_FLAT WHERE ip_scope(initiator_ip) = 'public'", _scope, (),
    ),
    EnrichmentFunction(
        "subnet_name", ("text",), "text", "subnet_name(ip)",
        "Name of the narrowest of the datasource's own subnets (setting subnetsFile) holding the address; "
        "NULL when none does.",
        "SELECT subnet_name(target_ip) AS subnet, sum(bytes_from_initiator) FROM FLOW_FLAT GROUP BY 1",
        _subnet, ("subnets",),
    ),
    EnrichmentFunction(
        "service_name", ("integer", "integer"), "text", "service_name(port, protocol)",
        "IANA service name of a port for a protocol number (6 TCP, 17 UDP, 132 SCTP, 33 DCCP); NULL when unnamed.",
        "SELECT service_name(target_port, transport_protocol) AS service, count(*) FROM FLOW_FLAT GROUP BY 1",
        _service, ("services",),
    ),
    EnrichmentFunction(
        "protocol_name", ("integer",), "text", "protocol_name(n)",
        "IANA name of an IP protocol number (6 TCP, 17 UDP, 1 ICMP, ...); NULL when unassigned.",
        "SELECT protocol_name(transport_protocol) AS protocol, count(*) FROM FLOW_FLAT GROUP BY 1",
        _protocol, ("protocols",),
    ),
)
NAMES = frozenset(function.name for function in FUNCTIONS)
