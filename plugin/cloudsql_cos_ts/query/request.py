"""What one QueryData call knows besides its queries: alerting flags, Grafana config, cancellation."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from cloudsql_cos_ts.cancel import CancelToken

ROW_LIMIT_KEY = "GF_SQL_ROW_LIMIT"  # Grafana's [sql] row_limit, in the request's Grafana config


def skips_cache(headers: Mapping[str, str]) -> bool:
    """Alerting and ``X-Cache-Skip: true`` read nothing from the result cache (they still refresh it)."""
    return (
        is_alerting(headers)
        or headers.get("X-Cache-Skip", "").lower() == "true"
        or headers.get("http_X-Cache-Skip", "").lower() == "true"
    )


def is_alerting(headers: Mapping[str, str]) -> bool:
    # Grafana's own datasources detect alerting by the presence of the key, whatever its value.
    return "FromAlert" in headers


@dataclass(frozen=True)
class RequestContext:
    from_alert: bool  # Grafana alerting evaluates this request: stable output, no cached values
    skip_cache: bool  # X-Cache-Skip: read nothing from the result cache (still refresh it)
    row_limit_override: int | None  # GF_SQL_ROW_LIMIT from the request's Grafana config
    # The call's cancel token, asked for only by a query that has to wait for a run: a request the
    # result cache answers never pays for one (and for its gRPC callback).
    cancel: Callable[[], CancelToken]
    # When the request arrived (monotonic seconds): a run's "time queued" starts here.
    received: float = field(default_factory=time.monotonic)

    @staticmethod
    def from_headers(
        headers: Mapping[str, str], grafana_config: Mapping[str, str], cancel: Callable[[], CancelToken]
    ) -> RequestContext:
        limit_text = grafana_config.get(ROW_LIMIT_KEY, "").strip()
        limit = int(limit_text) if limit_text.isdigit() and int(limit_text) > 0 else None
        return RequestContext(
            from_alert=is_alerting(headers), skip_cache=skips_cache(headers), row_limit_override=limit, cancel=cancel
        )
