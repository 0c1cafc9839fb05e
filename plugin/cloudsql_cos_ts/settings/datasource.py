"""Datasource settings: Grafana's ``jsonData`` + ``decryptedSecureJsonData`` as one typed object.

``jsonData`` is visible to every viewer's browser, so it never holds a secret; secrets come only from
``decryptedSecureJsonData`` and are wrapped in :class:`Secret`. Validation names the field and what
to put there, because the message is what a user sees after "Save & test".
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal, TypeVar

from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.settings.budget import Budgets, parse_budgets
from cloudsql_cos_ts.settings.confinement import Confinement, confined_setting, parse_allowed_locations
from cloudsql_cos_ts.settings.enrichment import KEYS as ENRICHMENT_KEYS
from cloudsql_cos_ts.settings.enrichment import EnrichmentFiles, parse_enrichment_files
from cloudsql_cos_ts.settings.host_memory import available_bytes
from cloudsql_cos_ts.settings.identity import DatasourceIdentity, settings_digest
from cloudsql_cos_ts.settings.locations import CosLocation, Location, normalize_endpoint, parse_location
from cloudsql_cos_ts.settings.secret import Secret

_Choice = TypeVar("_Choice", bound=str)

Engine = Literal["duckdb", "spark", "dataengine"]
AuthType = Literal["none", "iam", "hmac"]
SourceFormat = Literal["flowlogs", "json", "parquet", "csv"]
DamagedObjects = Literal["skip", "fail"]
UnfilteredQueries = Literal["dashboardRange", "wholeSource"]

ENGINES: tuple[Engine, ...] = ("duckdb", "spark", "dataengine")
AUTH_TYPES: tuple[AuthType, ...] = ("none", "iam", "hmac")
SOURCE_FORMATS: tuple[SourceFormat, ...] = ("flowlogs", "json", "parquet", "csv")
DAMAGED_OBJECTS: tuple[DamagedObjects, ...] = ("skip", "fail")
UNFILTERED_QUERIES: tuple[UnfilteredQueries, ...] = ("dashboardRange", "wholeSource")
SECURE_KEYS = ("apiKey", "hmacAccessKeyId", "hmacSecretAccessKey", "sparkToken")

DEFAULT_QUERY_TIMEOUT_S = 120.0
DEFAULT_ROW_LIMIT = 1_000_000
DEFAULT_CACHE_TTL_S = 300
DEFAULT_CACHE_SETTLE_S = 3600  # a range that ended this long ago gets no new data: its entries may live longer
DEFAULT_CACHE_ALIGN_STEP_S = 10  # the smallest step live ranges are aligned to
DEFAULT_THREADS = 2
DEFAULT_MEMORY_LIMIT = "4GB"
# queryMemoryLimitMB's default: 2 KiB per row of the row limit (a 1,000,000-row limit allows 2,000 MB, a result of
# about 500 MB, held a few times while it is sent), never below 256 MB so small row limits keep wide answers.
QUERY_MEMORY_BYTES_PER_ROW = 2048
MIN_QUERY_MEMORY_MB = 256


@dataclass(frozen=True)
class Credentials:
    """How to authenticate to COS; only the fields of ``auth`` are set."""

    auth: AuthType = "none"
    api_key: Secret = field(default_factory=lambda: Secret(""))
    service_instance_id: str = ""
    iam_endpoint: str | None = None  # override of IBM's IAM token URL (tests, private endpoints)
    hmac_access_key_id: Secret = field(default_factory=lambda: Secret(""))
    hmac_secret_access_key: Secret = field(default_factory=lambda: Secret(""))


@dataclass(frozen=True)
class DatasourceSettings:
    """Everything one configured datasource needs; immutable, rebuilt when Grafana's copy changes."""

    uid: str
    name: str
    last_updated_ms: int
    engine: Engine = "duckdb"
    source: Location | None = None
    source_format: SourceFormat = "flowlogs"
    # A flow-log object that is not gzip JSON: left out with a warning notice (skip), or the query's error (fail).
    damaged_objects: DamagedObjects = "skip"
    # A flow-log query without a time predicate reads the dashboard range (dashboardRange) or, as IBM SQL Query
    # did, the whole source (wholeSource); what one query may read is in budgets (settings/budget.py).
    unfiltered_queries: UnfilteredQueries = "dashboardRange"
    budgets: Budgets = field(default_factory=Budgets)
    destination: Location | None = None
    # what cos:// locations written in SQL may name: source, destination and allowedLocations
    confinement: Confinement = field(default_factory=Confinement)
    # where settled days of the flow-log source are compacted (docs/lake.md); inside the locations above
    lake: Location | None = None
    credentials: Credentials = field(default_factory=Credentials)
    query_timeout_s: float = DEFAULT_QUERY_TIMEOUT_S
    row_limit: int = DEFAULT_ROW_LIMIT
    cache_ttl_s: int = DEFAULT_CACHE_TTL_S
    cache_align_ranges: bool = True
    cache_settle_s: int = DEFAULT_CACHE_SETTLE_S
    cache_align_step_s: int = DEFAULT_CACHE_ALIGN_STEP_S
    threads: int = DEFAULT_THREADS
    memory_limit: str = DEFAULT_MEMORY_LIMIT
    query_memory_limit_bytes: int = DEFAULT_ROW_LIMIT * QUERY_MEMORY_BYTES_PER_ROW
    spark_url: str = ""
    spark_token: Secret = field(default_factory=lambda: Secret(""))
    dataengine_instance_crn: str = ""
    dataengine_api_url: str = ""
    enrichment: EnrichmentFiles = field(default_factory=EnrichmentFiles)
    org_id: int = 0
    datasource_id: int = 0  # Grafana's numeric id, unique across orgs (the uid is not)
    digest: str = ""  # settings_digest of the raw settings these were parsed from

    @cached_property
    def identity(self) -> DatasourceIdentity:
        """The datasource and settings version everything kept per datasource is keyed by."""
        return DatasourceIdentity(self.org_id, self.datasource_id, self.uid, self.last_updated_ms, self.digest)

    def secrets(self) -> tuple[Secret, ...]:
        """Every secret of these settings (for scrubbing text that might echo them)."""
        c = self.credentials
        return tuple(s for s in (c.api_key, c.hmac_access_key_id, c.hmac_secret_access_key, self.spark_token) if s)


def parse_datasource_settings(
    *,
    uid: str,
    name: str,
    last_updated_ms: int,
    json_data: bytes,
    secure: Mapping[str, str],
    org_id: int = 0,
    datasource_id: int = 0,
) -> DatasourceSettings:
    """Build and validate settings from Grafana's raw instance settings."""
    data = _json_object(json_data)
    _refuse_secrets_in_json(data)
    _refuse_nul_in_secrets(secure)
    endpoint_raw = _opt_str(data, "cosEndpoint")
    endpoint = normalize_endpoint(endpoint_raw, field="cosEndpoint") if endpoint_raw else None
    source_text = _opt_str(data, "source")
    dest_text = _opt_str(data, "destination")
    source = parse_location(source_text, field="source", endpoint_override=endpoint) if source_text else None
    destination = parse_location(dest_text, field="destination", endpoint_override=endpoint) if dest_text else None
    locations = tuple(loc for loc in (source, destination) if loc is not None) + parse_allowed_locations(data, endpoint)
    uses_cos = any(isinstance(location, CosLocation) for location in locations)
    engine = _choice(data, "engine", ENGINES, "duckdb")
    settings = DatasourceSettings(
        uid=uid,
        name=name,
        last_updated_ms=last_updated_ms,
        engine=engine,
        source=source,
        source_format=_choice(data, "sourceFormat", SOURCE_FORMATS, "flowlogs"),
        damaged_objects=_choice(data, "damagedObjects", DAMAGED_OBJECTS, "skip"),
        unfiltered_queries=_choice(data, "unfilteredQueries", UNFILTERED_QUERIES, "dashboardRange"),
        budgets=parse_budgets(data, _number),
        destination=destination,
        confinement=Confinement(locations, endpoint),
        lake=confined_setting(data, "lakeLocation", locations, endpoint),
        credentials=_credentials(data, secure, uses_cos=uses_cos),
        query_timeout_s=_number(data, "queryTimeoutSeconds", DEFAULT_QUERY_TIMEOUT_S, low=1, high=3600),
        row_limit=int(_number(data, "rowLimit", DEFAULT_ROW_LIMIT, low=1, high=100_000_000)),
        cache_ttl_s=int(_number(data, "cacheTtlSeconds", DEFAULT_CACHE_TTL_S, low=0, high=30 * 86400)),
        cache_align_ranges=_bool(data, "cacheAlignRanges", True),
        cache_settle_s=int(_number(data, "cacheSettleSeconds", DEFAULT_CACHE_SETTLE_S, low=0, high=30 * 86400)),
        cache_align_step_s=int(_number(data, "cacheAlignStepSeconds", DEFAULT_CACHE_ALIGN_STEP_S, low=1, high=86400)),
        threads=int(_number(data, "threads", DEFAULT_THREADS, low=1, high=64)),
        memory_limit=_memory(data),
        query_memory_limit_bytes=_query_memory_bytes(data),
        spark_url=_opt_str(data, "sparkUrl"),
        spark_token=Secret(secure.get("sparkToken", "")),
        dataengine_instance_crn=_opt_str(data, "dataEngineInstanceCrn"),
        dataengine_api_url=_opt_str(data, "dataEngineApiUrl"),
        enrichment=parse_enrichment_files({key: _opt_str(data, key) for key in ENRICHMENT_KEYS}),
        org_id=org_id,
        datasource_id=datasource_id,
        digest=settings_digest(json_data, secure),
    )
    _check_engine_fields(settings)
    return settings


def _json_object(raw: bytes) -> dict[str, Any]:
    if not raw or not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # ValueError: bad UTF-8, bad JSON, numbers over 4300 digits
        raise BadRequest(f"datasource jsonData is not valid JSON: {exc}") from None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadRequest("datasource jsonData must be a JSON object")
    for key, item in value.items():  # JSON's "\\ud800" (or its bytes) would reach paths and URLs
        try:
            json.dumps({key: item}, ensure_ascii=False).encode("utf-8")
        except (UnicodeEncodeError, RecursionError):
            raise BadRequest(f"{key} holds text that is not valid Unicode (a lone surrogate): retype it") from None
    return value


def _refuse_nul(key: str, value: str) -> None:
    """A NUL character ends C strings: paths, URLs and headers built from it fail deep inside a library."""
    position = value.find("\x00") + 1
    if position:
        raise BadRequest(f"{key} holds a NUL character (\\x00) at position {position}: remove it")


def _refuse_nul_in_secrets(secure: Mapping[str, str]) -> None:
    for key, value in secure.items():
        if "\x00" in value:
            raise BadRequest(f"{key} holds a NUL character (\\x00): paste the secret again")


def _refuse_secrets_in_json(data: Mapping[str, Any]) -> None:
    leaked = [key for key in SECURE_KEYS if data.get(key)]
    if leaked:
        raise BadRequest(
            f"{', '.join(leaked)} must be stored in the secure settings (secureJsonData), not in jsonData, "
            "where every dashboard viewer can read it"
        )


def _opt_str(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadRequest(f"{key} must be a string")
    _refuse_nul(key, value)
    return value.strip()


def _choice(data: Mapping[str, Any], key: str, allowed: tuple[_Choice, ...], default: _Choice) -> _Choice:
    """The allowed value ``data[key]`` names, in any letter case (``wholesource`` is ``wholeSource``)."""
    value = _opt_str(data, key).lower() or default.lower()
    found = next((choice for choice in allowed if choice.lower() == value), None)
    if found is None:
        raise BadRequest(f"{key} must be one of {', '.join(allowed)} (got {value!r})")
    return found


def _number(data: Mapping[str, Any], key: str, default: float, *, low: float, high: float) -> float:
    value = data.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise BadRequest(f"{key} must be a number (got {value!r})") from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadRequest(f"{key} must be a number")
    if not low <= value <= high:
        shown = f"{value:g}" if isinstance(value, float) or abs(value) < 10**15 else "a larger number"
        raise BadRequest(f"{key} must be between {low:g} and {high:g} (got {shown})")
    return float(value)


def _bool(data: Mapping[str, Any], key: str, default: bool) -> bool:
    value = data.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise BadRequest(f"{key} must be true or false")
    return value


def default_memory_limit() -> str:
    """DuckDB's memoryLimit when the settings name none: 4GB, or a quarter of a smaller container's memory.

    Why: DuckDB's buffers come on top of the answers' budget (also a quarter), so in a 2 GB container
    a fixed 4GB would let one query's joins and sorts outgrow the container instead of spilling to disk.
    """
    quarter_mb = available_bytes() // 4 >> 20
    return DEFAULT_MEMORY_LIMIT if quarter_mb >= 4096 else f"{max(quarter_mb, 128)}MB"


def _memory(data: Mapping[str, Any]) -> str:
    value = _opt_str(data, "memoryLimit") or default_memory_limit()
    number = value.upper().removesuffix("B").rstrip("KMGT")
    if not number.replace(".", "", 1).isdigit() or not value.upper().endswith(("KB", "MB", "GB", "TB")):
        raise BadRequest(f"memoryLimit must look like 512MB or 4GB (got {value!r})")
    return value.upper()


def _query_memory_bytes(data: Mapping[str, Any]) -> int:
    """queryMemoryLimitMB in bytes; by default derived from the row limit (see QUERY_MEMORY_BYTES_PER_ROW)."""
    row_limit = _number(data, "rowLimit", DEFAULT_ROW_LIMIT, low=1, high=100_000_000)
    derived = max(MIN_QUERY_MEMORY_MB << 20, int(row_limit) * QUERY_MEMORY_BYTES_PER_ROW)
    megabytes = _number(data, "queryMemoryLimitMB", derived / (1 << 20), low=1, high=1 << 30)
    return int(megabytes * (1 << 20))


def _credentials(data: Mapping[str, Any], secure: Mapping[str, str], *, uses_cos: bool) -> Credentials:
    default: AuthType = "iam" if secure.get("apiKey") else "hmac" if secure.get("hmacAccessKeyId") else "none"
    auth = _choice(data, "authType", AUTH_TYPES, default)
    iam_raw = _opt_str(data, "iamEndpoint")
    creds = Credentials(
        auth=auth,
        api_key=Secret(secure.get("apiKey", "")),
        service_instance_id=_opt_str(data, "serviceInstanceId"),
        iam_endpoint=normalize_endpoint(iam_raw, field="iamEndpoint") if iam_raw else None,
        hmac_access_key_id=Secret(secure.get("hmacAccessKeyId", "")),
        hmac_secret_access_key=Secret(secure.get("hmacSecretAccessKey", "")),
    )
    if auth == "iam" and not creds.api_key:
        raise BadRequest("authType is iam but no IBM Cloud API key is set: paste it into the API key field")
    if auth == "hmac" and not (creds.hmac_access_key_id and creds.hmac_secret_access_key):
        raise BadRequest("authType is hmac: set both the HMAC access key id and the HMAC secret access key")
    if uses_cos and auth == "none" and not data.get("allowAnonymous"):
        raise BadRequest(
            "a cos:// location needs credentials: choose IBM Cloud API key (IAM) or HMAC keys in the settings"
        )
    return creds


def _check_engine_fields(settings: DatasourceSettings) -> None:
    if settings.engine == "spark" and not settings.spark_url.startswith("sc://"):
        raise BadRequest("engine is spark: set sparkUrl to the Spark Connect address, e.g. sc://host:15002")
    if settings.engine == "dataengine" and not settings.dataengine_instance_crn.startswith("crn:"):
        raise BadRequest("engine is dataengine: set dataEngineInstanceCrn to the instance CRN (crn:v1:...)")
