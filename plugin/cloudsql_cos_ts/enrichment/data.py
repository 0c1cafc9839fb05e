"""The lookup data one datasource enriches with: the bundled files, or the user's own CSV files.

Loading is the costly part (half a million ranges), so a loaded set is kept per combination of
files (path, size and modification time): datasources sharing files share one copy, and a replaced
file is read again. A user's file that cannot be used is a ``BadRequest`` naming the setting, the
file and the line, so "Save & test" says what to fix.
"""

from __future__ import annotations

import csv
import hashlib
import ipaddress
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cloudsql_cos_ts.enrichment import mmdb
from cloudsql_cos_ts.enrichment.names import Names, load_protocols, load_services
from cloudsql_cos_ts.enrichment.ranges import RangeTable
from cloudsql_cos_ts.errors import BadRequest, InternalError
from cloudsql_cos_ts.lru import BoundedLru
from cloudsql_cos_ts.settings.enrichment import EnrichmentFiles

BUNDLED = Path(__file__).resolve().parent / "data"
BUNDLED_FILES = ("country.parquet", "asn.parquet", "as_names.parquet", "services.csv", "protocols.csv")
_MAX_USER_ROWS = 5_000_000
MEMO_LIMIT = 200_000  # addresses remembered per function, the least recently asked dropped first


@dataclass(frozen=True)
class EnrichmentData:
    country: RangeTable  # column "country"
    asn: RangeTable  # columns "asn", "as_name"
    subnets: RangeTable | None  # column "name"; None when the datasource names no subnets
    services: Names
    protocols: Names
    # the content of every file the data came from: answers stored on disk are named by it, so they
    # are never served for other data (a replaced user file, a new bundled release)
    identity: str = ""
    # per function: address text -> (answer,); flows repeat their endpoints across batches, so most
    # addresses of a batch were answered before
    memo: dict[str, BoundedLru[str, tuple[object]]] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def memo_for(self, function: str) -> BoundedLru[str, tuple[object]]:
        """The function's memory of answers, made on first use (so a copy shipped to Spark holds no lock)."""
        found = self.memo.get(function)
        return found if found is not None else self.memo.setdefault(function, BoundedLru(MEMO_LIMIT))

    def only(self, parts: tuple[str, ...]) -> EnrichmentData:
        """A copy holding only ``parts`` (the rest empty): what one function needs, to ship it small."""
        return EnrichmentData(
            country=self.country if "country" in parts else EMPTY_RANGES,
            asn=self.asn if "asn" in parts else EMPTY_RANGES,
            subnets=self.subnets if "subnets" in parts else None,
            services=self.services if "services" in parts else empty_names(),
            protocols=self.protocols if "protocols" in parts else empty_names(),
        )


EMPTY_RANGES = RangeTable({}, {})


@cache
def empty_names() -> Names:
    """Names for no number, made on first use: only enriching queries need them."""
    return Names([])


@dataclass(frozen=True)
class _Kind:
    setting: str
    names: tuple[str, ...]
    types: tuple[pa.DataType, ...]
    from_mmdb: mmdb.Extract | None  # the values of a MaxMind DB record; None: a MaxMind DB cannot hold them


_COUNTRY = _Kind("geoCountryFile", ("country",), (pa.string(),), mmdb.country)
_ASN = _Kind("asnFile", ("asn", "as_name"), (pa.int64(), pa.string()), mmdb.autonomous_system)
_SUBNETS = _Kind("subnetsFile", ("name",), (pa.string(),), None)

_loaded: dict[tuple[object, ...], EnrichmentData] = {}
_lock = threading.Lock()


def load(files: EnrichmentFiles) -> EnrichmentData:
    """The data for these settings (cached); raises ``BadRequest`` for a user file it cannot use."""
    key = tuple(_stamp(kind, path) for kind, path in _user_files(files))
    with _lock:
        found = _loaded.get(key)
        if found is None:
            found = _loaded[key] = _build(files)
        return found


def _user_files(files: EnrichmentFiles) -> list[tuple[_Kind, Path | None]]:
    return [(_COUNTRY, files.country), (_ASN, files.asn), (_SUBNETS, files.subnets)]


def _stamp(kind: _Kind, path: Path | None) -> tuple[object, ...]:
    if path is None:
        return (kind.setting,)
    try:
        stat = path.stat()
    except OSError as exc:
        raise BadRequest(
            f"{kind.setting}: cannot read {path} ({exc.strerror}); check the path and its permissions"
        ) from None
    return (kind.setting, str(path), stat.st_size, stat.st_mtime_ns)


def _build(files: EnrichmentFiles) -> EnrichmentData:
    missing = sorted(name for name in BUNDLED_FILES if not (BUNDLED / name).is_file())
    if missing:  # a build that left the data out: say so instead of failing deep inside a query
        raise InternalError(
            f"this plugin build lacks its enrichment data ({', '.join(missing)} in {BUNDLED}); "
            "the enrichment functions cannot run until the plugin is rebuilt with its data files"
        )
    return EnrichmentData(
        country=_user_table(_COUNTRY, files.country) if files.country else _bundled_country(),
        asn=_user_table(_ASN, files.asn) if files.asn else _bundled_asn(),
        subnets=_user_table(_SUBNETS, files.subnets) if files.subnets else None,
        services=_bundled_names("services.csv"),
        protocols=_bundled_names("protocols.csv"),
        identity=_identity(files),
    )


def _identity(files: EnrichmentFiles) -> str:
    digest = hashlib.sha256(_bundled_digest().encode())
    for kind, path in _user_files(files):
        digest.update(f"\0{kind.setting}\0".encode())
        if path is not None:
            digest.update(path.read_bytes())
    return digest.hexdigest()


@cache
def _bundled_digest() -> str:
    """The bundled files change only with a new plugin build: hashed once per process."""
    digest = hashlib.sha256()
    for name in BUNDLED_FILES:
        digest.update((BUNDLED / name).read_bytes())
    return digest.hexdigest()


def _ranges(name: str) -> pa.Table:
    """A bundled range file with ``last`` rebuilt from ``first`` and ``span`` (stored so to stay small)."""
    table = pq.read_table(BUNDLED / name)
    return table.append_column("last", pc.add(table["first"], table["span"]))


@cache
def _bundled_country() -> RangeTable:
    """Read once per process, whichever datasources use it."""
    return RangeTable.from_arrow(_ranges("country.parquet"), _COUNTRY.names)


@cache
def _bundled_asn() -> RangeTable:
    """The ranges carry AS numbers; the names are stored once per number and joined here."""
    ranges = _ranges("asn.parquet")
    names = pq.read_table(BUNDLED / "as_names.parquet")
    numbers, wanted = names["asn"].to_numpy(), ranges["asn"].to_numpy()
    at = np.minimum(np.searchsorted(numbers, wanted), len(numbers) - 1)
    as_name = names["as_name"].combine_chunks().take(pa.array(at, mask=numbers[at] != wanted))
    ranges = ranges.set_column(ranges.column_names.index("asn"), "asn", pc.cast(ranges["asn"], pa.int64()))
    return RangeTable.from_arrow(ranges.append_column("as_name", as_name), _ASN.names)


@cache
def _bundled_names(name: str) -> Names:
    return (load_services if name == "services.csv" else load_protocols)(BUNDLED / name)


def protocol_names() -> Names:
    """IANA protocol names by number, the bundled list (no user file replaces it); read once."""
    return _bundled_names("protocols.csv")


def _user_table(kind: _Kind, path: Path) -> RangeTable:
    rows = list(_mmdb_rows(kind, path) if mmdb.is_mmdb(path) else _user_rows(kind, path))
    if not rows:
        raise BadRequest(f"{kind.setting}: {path} holds no ranges; see docs/enrichment.md for the format")
    return RangeTable.from_nested(rows, kind.names, kind.types)


def _mmdb_rows(kind: _Kind, path: Path) -> Iterator[tuple[int, int, int, tuple[object, ...]]]:
    if kind.from_mmdb is None:
        raise BadRequest(f"{kind.setting}: {path} is a MaxMind DB file; this setting reads CSV ({_expected(kind)})")
    for count, (version, first, last, values) in enumerate(mmdb.networks(kind.setting, path, kind.from_mmdb), 1):
        if count > _MAX_USER_ROWS:
            raise BadRequest(f"{kind.setting}: {path} has more than {_MAX_USER_ROWS} networks")
        yield (*_keys(version, first, last), values)


def _user_rows(kind: _Kind, path: Path) -> Iterator[tuple[int, int, int, tuple[object, ...]]]:
    """(family, first key, last key, values) per line: ``network,values…`` or ``first,last,values…``."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            for number, fields in enumerate(csv.reader(handle), start=1):
                if not fields or fields[0].startswith("#"):
                    continue
                parsed = _row(kind, fields)
                if parsed is None and number == 1:
                    continue  # a header line
                if parsed is None:
                    raise BadRequest(f"{kind.setting}: {path} line {number}: {_expected(kind)}, got {fields!r:.120}")
                if number > _MAX_USER_ROWS:
                    raise BadRequest(f"{kind.setting}: {path} has more than {_MAX_USER_ROWS} lines")
                yield parsed
    except OSError as exc:
        raise BadRequest(
            f"{kind.setting}: cannot read {path} ({exc.strerror}); check the path and its permissions"
        ) from None
    except UnicodeDecodeError:
        raise BadRequest(f"{kind.setting}: {path} is not UTF-8 text (a CSV file is expected)") from None
    except csv.Error as exc:
        raise BadRequest(f"{kind.setting}: {path} is not a valid CSV file ({exc})") from None


def _expected(kind: _Kind) -> str:
    values = ",".join(kind.names)
    return f"expected network,{values} (10.0.0.0/8,…) or first_ip,last_ip,{values}"


def _row(kind: _Kind, fields: list[str]) -> tuple[int, int, int, tuple[object, ...]] | None:
    cells = [cell.strip() for cell in fields]
    span = _network(cells[0]) if "/" in cells[0] else _pair(cells[:2])
    if span is None:
        return None
    values = cells[1:] if "/" in cells[0] else cells[2:]
    if len(values) != len(kind.names):
        return None
    converted = _values(values, kind.types)
    return None if converted is None else (*span, converted)


def _values(values: list[str], types: tuple[pa.DataType, ...]) -> tuple[object, ...] | None:
    out: list[object] = []
    for value, kind in zip(values, types, strict=True):
        convert: Callable[[str], object] = int if pa.types.is_integer(kind) else str
        try:
            out.append(convert(value.upper().removeprefix("AS") if convert is int else value) if value else None)
        except ValueError:
            return None
    return tuple(out)


def _network(text: str) -> tuple[int, int, int] | None:
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None
    return _keys(network.version, int(network.network_address), int(network.broadcast_address))


def _pair(cells: list[str]) -> tuple[int, int, int] | None:
    try:
        first, last = (ipaddress.ip_address(cell) for cell in cells)
    except ValueError:
        return None
    if first.version != last.version or int(first) > int(last):
        return None
    return _keys(first.version, int(first), int(last))


def _keys(version: int, first: int, last: int) -> tuple[int, int, int]:
    """IPv4 keys are addresses; IPv6 keys the upper 64 bits (a network below /64 covers its /64)."""
    return (4, first, last) if version == 4 else (6, first >> 64, last >> 64)
