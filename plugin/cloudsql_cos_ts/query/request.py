"""What one QueryData call knows besides its queries: alerting flags, Grafana config, cancellation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cloudsql_cos_ts.cancel import CancelToken


@dataclass(frozen=True)
class RequestContext:
    from_alert: bool  # Grafana alerting evaluates this request: stable output, no cached values
    skip_cache: bool  # X-Cache-Skip: read nothing from the result cache (still refresh it)
    row_limit_override: int | None  # GF_SQL_ROW_LIMIT from the request's Grafana config
    cancel: CancelToken

    @staticmethod
    def from_headers(
        headers: Mapping[str, str], grafana_config: Mapping[str, str], cancel: CancelToken
    ) -> RequestContext:
        # Grafana's own datasources detect alerting by the presence of the key, whatever its value.
        from_alert = "FromAlert" in headers
        skip = (
            from_alert
            or headers.get("X-Cache-Skip", "").lower() == "true"
            or (headers.get("http_X-Cache-Skip", "").lower() == "true")
        )
        limit_text = grafana_config.get("GF_SQL_ROW_LIMIT", "").strip()
        limit = int(limit_text) if limit_text.isdigit() and int(limit_text) > 0 else None
        return RequestContext(from_alert=from_alert, skip_cache=skip, row_limit_override=limit, cancel=cancel)
