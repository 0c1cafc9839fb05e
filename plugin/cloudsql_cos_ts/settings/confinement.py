"""Where a query's own ``cos://`` locations may point: inside the datasource's locations only.

IBM SQL Query let a statement name any bucket (``FROM cos://…``, ``INTO cos://…``) because each
user ran it with their own credentials. Here every statement runs with the *datasource's*
credentials for every Grafana user who may query it, so a location written in SQL must lie inside
one the administrator configured: the source, the destination, or an entry of ``allowedLocations``.
Anything else — another bucket or endpoint, a prefix beside the allowed ones, ``.``/``..``
segments — is a 400 that names the setting. Only ``cos://`` locations can be written in SQL, so a
local path or another kind of URL is never read or written this way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.settings.locations import CosLocation, LocalLocation, Location, parse_location

ALLOWED_KEY = "allowedLocations"
_MAX_ALLOWED = 100


def parse_allowed_locations(data: Mapping[str, Any], endpoint_override: str | None) -> tuple[Location, ...]:
    """The ``allowedLocations`` list: ``cos://`` URLs or absolute folders, each checked like ``source``."""
    value = data.get(ALLOWED_KEY)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise BadRequest(f"{ALLOWED_KEY} must be a list of cos://<region>/<bucket>/<prefix> URLs or absolute folders")
    if len(value) > _MAX_ALLOWED:
        raise BadRequest(f"{ALLOWED_KEY} may hold at most {_MAX_ALLOWED} locations (got {len(value)})")
    return tuple(
        parse_location(text, field=f"{ALLOWED_KEY}[{index}]", endpoint_override=endpoint_override)
        for index, text in enumerate(value)
        if text.strip()
    )


def _inside(location: Location, root: Location) -> bool:
    if isinstance(location, LocalLocation):
        return isinstance(root, LocalLocation) and location.path.is_relative_to(root.path)
    return (
        isinstance(root, CosLocation)
        and (root.endpoint, root.bucket) == (location.endpoint, location.bucket)
        and location.prefix.startswith(root.prefix)
    )


def _refuse_dot_segments(text: str, what: str) -> None:
    if any(segment in (".", "..") for segment in text.split("/")) or "\\" in text:
        raise BadRequest(f"{what} {text}: '.', '..' and '\\' are not allowed in a location")


def confined_setting(
    data: Mapping[str, Any], key: str, roots: tuple[Location, ...], endpoint: str | None
) -> Location | None:
    """The location setting ``key``, which must lie inside one of ``roots`` (a 400 naming the setting otherwise).

    A location the plugin itself writes (the flow lake) is held to the same rule as one a statement
    names: the datasource's credentials reach only where its administrator pointed them.
    """
    text = data.get(key)
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    if not isinstance(text, str):
        raise BadRequest(f"{key} must be a cos://<region>/<bucket>/<prefix> URL or an absolute folder")
    _refuse_dot_segments(text, key)
    location = parse_location(text, field=key, endpoint_override=endpoint)
    if not any(_inside(location, root) for root in roots):
        raise BadRequest(
            f"{key} {location.describe()} is outside this datasource's locations: it must lie inside the source, "
            f"the destination or an entry of {ALLOWED_KEY} (Allowed locations)"
        )
    return location


@dataclass(frozen=True)
class Confinement:
    """The locations a statement may read or write, and how its ``cos://`` URLs resolve."""

    roots: tuple[Location, ...] = ()  # source, destination and the allowed locations
    endpoint_override: str | None = None  # the datasource's cosEndpoint: every cos:// URL goes there

    def resolve(self, url: str, *, purpose: str) -> CosLocation:
        """``url`` (``cos://…`` from a statement) as a location inside ``roots``, else a 400 naming the setting."""
        if not url.lower().startswith("cos://"):
            raise BadRequest(f"{purpose} {url!r}: only cos://<region>/<bucket>/<prefix> locations can be named in SQL")
        _refuse_dot_segments(url, purpose)
        location = parse_location(url, field=f"{purpose} {url}", endpoint_override=self.endpoint_override)
        assert isinstance(location, CosLocation)  # a cos:// URL parses to one
        if not any(_inside(location, root) for root in self.roots):
            raise BadRequest(
                f"{purpose} {url} is outside this datasource's locations: a statement may name only the "
                f"configured source, the destination and the datasource setting {ALLOWED_KEY} (Allowed "
                "locations); ask an administrator to add it there"
            )
        return location
