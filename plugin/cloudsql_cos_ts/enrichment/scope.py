"""The scope of an address: which kind of network it belongs to, from a fixed list of blocks.

IBM Cloud's own blocks come first in importance for flow logs: ``161.26.0.0/16`` is the service
network (DNS, NTP, repositories reached from every VPC), ``166.8.0.0/14`` the private service
endpoints; traffic to them is neither "the Internet" nor the user's own subnets. Narrower blocks win
over wider ones (``ranges.py``); an address in none of them is ``public``.
"""

from __future__ import annotations

import ipaddress
from functools import cache

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from cloudsql_cos_ts.enrichment.addresses import Addresses
from cloudsql_cos_ts.enrichment.ranges import RangeTable

PUBLIC = "public"
# fmt: off
BLOCKS: tuple[tuple[str, str], ...] = (
    ("10.0.0.0/8", "private"), ("172.16.0.0/12", "private"), ("192.168.0.0/16", "private"),
    ("100.64.0.0/10", "private"), ("fc00::/7", "private"),
    ("161.26.0.0/16", "ibm-service"), ("166.8.0.0/14", "ibm-endpoint"),
    ("127.0.0.0/8", "loopback"), ("::1/128", "loopback"),
    ("169.254.0.0/16", "link-local"), ("fe80::/10", "link-local"),
    ("224.0.0.0/4", "multicast"), ("ff00::/8", "multicast"),
    ("192.0.2.0/24", "documentation"), ("198.51.100.0/24", "documentation"), ("203.0.113.0/24", "documentation"),
    ("2001:db8::/32", "documentation"),
    ("0.0.0.0/8", "reserved"), ("240.0.0.0/4", "reserved"), ("::/128", "reserved"),
)
# fmt: on
SCOPES = tuple(dict.fromkeys([*(name for _, name in BLOCKS), PUBLIC]))


def _key_range(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> tuple[int, int, int]:
    first, last = int(network.network_address), int(network.broadcast_address)
    if network.version == 4:
        return 4, first, last
    return 6, first >> 64, last >> 64


@cache
def _table() -> RangeTable:
    """Built on first use: only enriching queries need it."""
    rows = []
    for text, name in BLOCKS:
        network = ipaddress.ip_network(text)
        if network.version == 6 and network.prefixlen > 64:
            continue  # below /64: told apart by the low bits in ``ip_scope``
        rows.append((*_key_range(network), (name,)))
    return RangeTable.from_nested(rows, ("scope",), (pa.string(),))


_SUB64 = {  # (upper 64 bits, lower 64 bits) -> scope of the IPv6 single addresses in BLOCKS
    divmod(int(ipaddress.ip_network(text).network_address), 1 << 64): name
    for text, name in BLOCKS
    if ":" in text and ipaddress.ip_network(text).prefixlen > 64
}


def ip_scope(addresses: Addresses) -> pa.Array:
    """A scope name per address (``SCOPES``); NULL for text that is no address."""
    scope = _table().lookup(addresses, "scope")
    known = addresses.family > 0
    scope = pc.if_else(pc.and_(pc.is_null(scope), pa.array(known)), PUBLIC, scope)
    for (high, low), name in _SUB64.items():
        exact = (addresses.family == 6) & (addresses.key == np.uint64(high)) & (addresses.low == np.uint64(low))
        if exact.any():
            scope = pc.if_else(pa.array(exact), name, scope)
    return scope


def is_public(addresses: Addresses) -> npt.NDArray[np.bool_]:
    """Rows whose address is a public one: the only ones country and ASN data may describe."""
    scope = ip_scope(addresses)
    return np.array(pc.fill_null(pc.equal(scope, PUBLIC), False).to_numpy(zero_copy_only=False), dtype=np.bool_)
