"""Addresses whose country and AS the bundled data states, picked from the data itself, and the
user files the tests configure instead."""

from __future__ import annotations

import bisect
import csv
import ipaddress
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq

from cloudsql_cos_ts.enrichment.data import BUNDLED
from cloudsql_cos_ts.settings.enrichment import EnrichmentFiles
from tests.enrichment.mmdb_writer import write_mmdb


def _middle_of_first(name: str, column: str, value: object) -> str:
    """An IPv4 address inside the first range of ``name`` whose ``column`` is ``value``."""
    table = pq.read_table(BUNDLED / name)
    rows = table.filter(pc.and_(pc.equal(table["family"], 4), pc.equal(table[column], value)))
    first, span = rows["first"][0].as_py(), rows["span"][0].as_py()
    return str(ipaddress.IPv4Address(first + span // 2))


def _as_name(asn: int) -> str:
    table = pq.read_table(BUNDLED / "as_names.parquet")
    return str(table.filter(pc.equal(table["asn"], asn))["as_name"][0].as_py())


# (address, country) and (address, ASN, AS name) as the bundled files hold them
COUNTRIES = [(_middle_of_first("country.parquet", "country", code), code) for code in ("DE", "JP", "BR")]
ASNS = [(_middle_of_first("asn.parquet", "asn", asn), asn, _as_name(asn)) for asn in (15169, 13335, 36351)]
DOCUMENTATION = ["192.0.2.10", "198.51.100.23", "203.0.113.7", "2001:db8::1"]

SCOPES = [
    ("10.240.64.4", "private"), ("172.16.5.5", "private"), ("192.168.1.1", "private"), ("100.64.0.9", "private"),
    ("fd12:3456::1", "private"), ("161.26.0.10", "ibm-service"), ("166.9.12.1", "ibm-endpoint"),
    ("127.0.0.1", "loopback"), ("::1", "loopback"), ("169.254.169.254", "link-local"), ("fe80::1", "link-local"),
    ("224.0.0.251", "multicast"), ("ff02::1", "multicast"), ("192.0.2.10", "documentation"),
    ("2001:db8::1", "documentation"), ("0.1.2.3", "reserved"), ("250.1.1.1", "reserved"), ("8.8.8.8", "public"),
    ("2001:4860:4860::8888", "public"), ("not an ip", None), ("256.1.1.1", None), ("1.2.3", None), ("", None),
]


def write_user_files(folder: Path) -> dict[str, str]:
    """A country file, an ASN file (both ways of writing a range) and nested subnets: jsonData keys."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "country.csv").write_text("network,country\n8.8.8.0/24,ZZ\n2001:4860::/32,ZY\n")
    (folder / "asn.csv").write_text("first_ip,last_ip,asn,as_name\n8.8.8.0,8.8.8.255,AS64500,Example Net\n")
    (folder / "subnets.csv").write_text(
        "# our address plan\n10.240.0.0/16,vpc-us-south\n10.240.64.0/24,web-tier\n10.240.64.4/32,web-1\n"
    )
    return {key: str(folder / name) for key, name in
            (("geoCountryFile", "country.csv"), ("asnFile", "asn.csv"), ("subnetsFile", "subnets.csv"))}


def write_mmdb_files(folder: Path) -> EnrichmentFiles:
    """A City-style country file (one network known only by its registering country) and an ASN file."""
    country = write_mmdb(folder / "country.mmdb", [
        ("8.8.8.0/24", {"country": {"iso_code": "ZZ", "names": {"en": "Test"}},
                        "registered_country": {"iso_code": "US"}}),
        ("8.8.9.0/24", {"registered_country": {"iso_code": "ZX"}}),
        ("10.0.0.0/8", {"country": {"iso_code": "ZW"}}),  # private: the functions still say NULL
        ("2001:4860::/32", {"country": {"iso_code": "ZY"}, "is_in_european_union": False}),
        ("9.9.9.0/24", {"city": {"names": {"en": "nowhere"}}}),  # no country: no range
    ], "GeoLite2-City")
    asn = write_mmdb(folder / "asn.mmdb", [
        ("8.8.8.0/23", {"autonomous_system_number": 64500, "autonomous_system_organization": "Example Net"}),
        ("2001:4860::/32", {"autonomous_system_number": 4_200_000_000}),
    ], "GeoLite2-ASN")
    return EnrichmentFiles(country=country, asn=asn)


class Reference:
    """A plain-Python reading of the bundled files (bisect per address), the oracle for panel tests."""

    def __init__(self) -> None:
        self.country = self._ranges("country.parquet", "country")
        self.asn = self._ranges("asn.parquet", "asn")
        names = pq.read_table(BUNDLED / "as_names.parquet").to_pydict()
        self.as_names = dict(zip(names["asn"], names["as_name"], strict=True))
        with (BUNDLED / "services.csv").open(encoding="utf-8") as handle:
            self.services = {(int(r["port"]), r["protocol"]): r["name"] for r in csv.DictReader(handle)}
        with (BUNDLED / "protocols.csv").open(encoding="utf-8") as handle:
            self.protocols = {int(r["number"]): r["name"] for r in csv.DictReader(handle)}

    @staticmethod
    def _ranges(name: str, column: str) -> tuple[list[int], list[int], list[Any]]:
        table = pq.read_table(BUNDLED / name).filter(pc.equal(pc.field("family"), 4)).to_pydict()
        return table["first"], [f + s for f, s in zip(table["first"], table["span"], strict=True)], table[column]

    @staticmethod
    def _find(ranges: tuple[list[int], list[int], list[Any]], ip: str) -> Any:
        try:
            address = ipaddress.IPv4Address(ip)
        except ValueError:
            return None
        if not address.is_global or address in ipaddress.ip_network("161.26.0.0/16") \
                or address in ipaddress.ip_network("166.8.0.0/14"):
            return None
        firsts, lasts, values = ranges
        at = bisect.bisect_right(firsts, int(address)) - 1
        return values[at] if at >= 0 and lasts[at] >= int(address) else None

    def country_of(self, ip: str) -> str | None:
        found: str | None = self._find(self.country, ip)
        return found

    def asn_of(self, ip: str) -> int | None:
        found: int | None = self._find(self.asn, ip)
        return found

    def service_of(self, port: int, protocol: int) -> str:
        """The P9 label: the IANA name, else ``port/protocol name``."""
        transport = {6: "tcp", 17: "udp", 132: "sctp", 33: "dccp"}.get(protocol)
        name = self.services.get((port, transport)) if transport else None
        return name or f"{port}/{self.protocols.get(protocol, protocol)}"
