"""Where data lives: a local folder or an IBM COS location written the IBM way.

IBM's tools write object-storage locations as ``cos://<region-alias-or-endpoint>/<bucket>/<prefix>``
(for example ``cos://us-south/my-flowlogs/ibm_vpc_flowlogs_v1/``). A region alias maps to the public
regional endpoint; a host name is used as given; the datasource's explicit endpoint setting
overrides both, which is how S3-compatible stores and test servers are reached.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from cloudsql_cos_ts.errors import BadRequest

# Regional and cross-region aliases IBM accepts in cos:// URLs; cross-region ones use a geo host.
_REGIONAL = (
    "us-south",
    "us-east",
    "eu-de",
    "eu-gb",
    "eu-es",
    "jp-tok",
    "jp-osa",
    "au-syd",
    "ca-tor",
    "ca-mon",
    "br-sao",
    "in-che",
)
_CROSS_REGION = {"us-geo": "us", "eu-geo": "eu", "ap-geo": "ap"}
_HOST_RE = re.compile(r"^[A-Za-z0-9.-]+(:\d+)?$")
_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def region_endpoint(alias: str) -> str | None:
    """The public HTTPS endpoint for a region alias, or None when ``alias`` is not one."""
    alias = alias.lower()
    if alias in _REGIONAL:
        return f"https://s3.{alias}.cloud-object-storage.appdomain.cloud"
    if alias in _CROSS_REGION:
        return f"https://s3.{_CROSS_REGION[alias]}.cloud-object-storage.appdomain.cloud"
    return None


@dataclass(frozen=True)
class LocalLocation:
    """A folder on the plugin's machine (absolute, resolved, no symlink tricks)."""

    path: Path

    def describe(self) -> str:
        return str(self.path)


@dataclass(frozen=True)
class CosLocation:
    """A bucket and key prefix in IBM COS or any S3-compatible store."""

    endpoint: str  # https://host[:port], or the explicit endpoint override
    bucket: str
    prefix: str  # no leading slash; ends with "/" unless empty
    region: str | None  # the alias written in the URL, when it was one

    def describe(self) -> str:
        return f"cos://{self.region or urlsplit(self.endpoint).netloc}/{self.bucket}/{self.prefix}"

    def child(self, suffix: str) -> CosLocation:
        """The location ``suffix`` below this one (used by ``$__dest(fmt, suffix)``)."""
        return CosLocation(self.endpoint, self.bucket, _join_prefix(self.prefix, suffix), self.region)


Location = LocalLocation | CosLocation


def _join_prefix(prefix: str, suffix: str) -> str:
    joined = "/".join(part for part in (prefix.strip("/"), suffix.strip("/")) if part)
    return f"{joined}/" if joined else ""


def parse_location(text: str, *, field: str, endpoint_override: str | None = None) -> Location:
    """Parse a settings value into a location, or raise ``BadRequest`` naming ``field``.

    Accepted: ``cos://<alias|host>/<bucket>[/<prefix>]`` and absolute local paths (``/data/flows``
    or ``file:///data/flows``). Relative paths are refused: Grafana starts plugins with cwd ``/``.
    """
    value = text.strip()
    if not value:
        raise BadRequest(f"{field} is empty")
    if value.startswith("cos://"):
        return _parse_cos(value, field=field, endpoint_override=endpoint_override)
    if value.startswith("file://"):
        value = value[len("file://") :]
    if "://" in value:
        raise BadRequest(
            f"{field} must be a cos://<region>/<bucket>/<prefix> URL or an absolute folder path, got a "
            f"{value.split('://', 1)[0]}:// URL"
        )
    path = Path(value)
    if not path.is_absolute():
        raise BadRequest(f"{field} must be an absolute folder path (got {value!r})")
    return LocalLocation(path.resolve())


def _parse_cos(value: str, *, field: str, endpoint_override: str | None) -> CosLocation:
    rest = value[len("cos://") :]
    host, _, path = rest.partition("/")
    bucket, _, prefix = path.partition("/")
    if not host or not bucket:
        raise BadRequest(f"{field}: expected cos://<region-or-endpoint>/<bucket>/<prefix>, got {value!r}")
    if not _BUCKET_RE.match(bucket):
        raise BadRequest(f"{field}: {bucket!r} is not a valid bucket name (3-63 lower-case letters, digits, '.', '-')")
    region = host.lower() if region_endpoint(host) else None
    if endpoint_override:
        endpoint = normalize_endpoint(endpoint_override, field="COS endpoint")
    elif region is not None:
        endpoint = region_endpoint(host) or ""
    elif _HOST_RE.match(host):
        endpoint = f"https://{host}"
    else:
        raise BadRequest(f"{field}: {host!r} is neither a COS region alias (e.g. us-south) nor a host name")
    return CosLocation(endpoint=endpoint, bucket=bucket, prefix=_join_prefix(prefix, ""), region=region)


def normalize_endpoint(text: str, *, field: str) -> str:
    """An endpoint URL with scheme and host only (http allowed for local S3-compatible servers)."""
    value = text.strip().rstrip("/")
    if "://" not in value:
        value = f"https://{value}"
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        raise BadRequest(f"{field} must look like https://host[:port] (got {text!r})")
    if parts.username or parts.password:
        raise BadRequest(f"{field} must not contain credentials; use the secure fields instead")
    return f"{parts.scheme}://{parts.netloc}"
