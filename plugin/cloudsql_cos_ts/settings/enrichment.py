"""The datasource's own enrichment files (jsonData ``geoCountryFile``, ``asnFile``, ``subnetsFile``).

Only the paths are checked here (absolute, local); whether a file is usable is the enrichment
package's question, asked by "Save & test" and by the first query that enriches.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cloudsql_cos_ts.errors import BadRequest

KEYS = ("geoCountryFile", "asnFile", "subnetsFile")


@dataclass(frozen=True)
class EnrichmentFiles:
    """None means the bundled data (country, ASN) or no subnet names."""

    country: Path | None = None
    asn: Path | None = None
    subnets: Path | None = None


def parse_enrichment_files(values: Mapping[str, str]) -> EnrichmentFiles:
    """From the jsonData texts of ``KEYS`` (already checked as strings without NUL by the caller)."""
    country, asn, subnets = (_path(key, values.get(key, "")) for key in KEYS)
    return EnrichmentFiles(country=country, asn=asn, subnets=subnets)


def _path(key: str, value: str) -> Path | None:
    if not value:
        return None
    path = Path(value)
    if not path.is_absolute():
        raise BadRequest(f"{key} must be an absolute path (got {value!r}), e.g. /var/lib/grafana/enrichment/{key}.csv")
    return path
