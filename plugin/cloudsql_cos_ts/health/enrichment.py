"""The enrichment stage of "Save & test": the datasource's own country, ASN and subnet files load.

Without such files the bundled data is used, which the build checked; loading it here would only
slow the test down. A file that is missing, unreadable or malformed fails the stage with the
setting, the file and the line to fix.
"""

from __future__ import annotations

from cloudsql_cos_ts.enrichment.data import BUNDLED, load
from cloudsql_cos_ts.settings.datasource import DatasourceSettings


def check_enrichment(settings: DatasourceSettings) -> str:
    files = settings.enrichment
    if files.country is None and files.asn is None and files.subnets is None:
        return f"bundled data ({(BUNDLED / 'VERSIONS').read_text(encoding='utf-8').strip()})"
    data = load(files)
    parts = [
        f"country from {files.country} ({data.country.size} ranges)" if files.country else "bundled country data",
        f"ASN from {files.asn} ({data.asn.size} ranges)" if files.asn else "bundled ASN data",
    ]
    if files.subnets is not None and data.subnets is not None:
        parts.append(f"subnet names from {files.subnets} ({data.subnets.size} ranges)")
    return ", ".join(parts)
