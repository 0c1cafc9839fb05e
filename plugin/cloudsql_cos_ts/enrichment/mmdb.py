"""A user's MaxMind DB file (``.mmdb``: GeoLite2/GeoIP2 Country, City or ASN, or any file of that
format with the same fields) as the rows a CSV file gives: (family, first key, last key, values).

The tree is walked once at load with MaxMind's own reader (``maxminddb``), one network at a time,
and only the fields the setting needs are kept, so memory grows with the ranges kept, not with the
file's records. Networks of the IPv4 subtree of an IPv6 file come out as IPv4 networks (the reader
skips the aliases of that subtree), as in a CSV file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from cloudsql_cos_ts.errors import BadRequest

Extract = Callable[[Mapping[str, Any]], tuple[object, ...] | None]


def is_mmdb(path: Path) -> bool:
    return path.suffix.lower() == ".mmdb"


def country(record: Mapping[str, Any]) -> tuple[object, ...] | None:
    """The ISO code of the country the network is in, else of the country that registered it."""
    for field in ("country", "registered_country"):
        code = record.get(field, {}).get("iso_code") if isinstance(record.get(field), Mapping) else None
        if isinstance(code, str) and code:
            return (code,)
    return None


def autonomous_system(record: Mapping[str, Any]) -> tuple[object, ...] | None:
    number = record.get("autonomous_system_number")
    if not isinstance(number, int):
        return None
    name = record.get("autonomous_system_organization")
    return number, name if isinstance(name, str) else None


def networks(setting: str, path: Path, extract: Extract) -> Iterator[tuple[int, int, int, tuple[object, ...]]]:
    """(IP version, first address, last address, values) per network whose record has the fields."""
    import maxminddb  # only a datasource with a .mmdb file needs the reader (and its C extension)

    try:
        with maxminddb.open_database(str(path)) as reader:
            for network, record in reader:
                values = extract(record) if isinstance(record, Mapping) else None
                if values is not None:
                    yield network.version, int(network.network_address), int(network.broadcast_address), values
    except OSError as exc:
        raise BadRequest(f"{setting}: cannot read {path} ({exc.strerror or exc}); check the path and its permissions"
                         ) from None
    except (maxminddb.InvalidDatabaseError, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise BadRequest(f"{setting}: {path} is not a valid MaxMind DB file ({exc})") from None
