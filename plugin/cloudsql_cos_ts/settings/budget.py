"""How much one query may read: the datasource's budgets and the scan limit, read in one place.

Object storage bills and waits per object and byte, and nothing stops a query from naming a year of
a bucket. So a datasource sets what one query may read after pruning (objects and bytes, ``0`` =
no limit), a lower budget for alert queries (Grafana stops an alert evaluation at 30 s, and an
alert that reads a bucket fails every minute), and the older ``scanLimitObjects``, which bounds a
scan that reaches an end of the source because the query bounds no time on that side. They are one
rule: the tightest limit that applies to a query is its budget (``Budget``), checked once before
anything is downloaded (``flowlogs/scan.py``), and the estimate endpoint reports against the same.

Defaults, and why: a dashboard query has no object or byte budget (its range is the user's choice,
and the ingest cache makes repeats cheap), so nothing that ran before is refused; an alert query may
read 50,000 objects or 2 GB: a week of 10 vNICs' ingress and egress objects (about 40,000) fits, far
above the shipped 30-minute rule, and once the ingest cache holds them an evaluation downloads only
what is new and answers in about a second (docs/benchmarks.md); a rule over more, whose first
evaluation would download for minutes, is refused with the budget named instead of timing out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

BudgetKind = Literal["query", "alert"]

DEFAULT_SCAN_LIMIT_OBJECTS = 100_000  # a week of 50 vNICs' ingress and egress objects
DEFAULT_QUERY_LIMIT_OBJECTS = 0
DEFAULT_QUERY_LIMIT_MB = 0
DEFAULT_ALERT_LIMIT_OBJECTS = 50_000
DEFAULT_ALERT_LIMIT_MB = 2_048
_MAX_OBJECTS = 1_000_000_000
_MAX_MB = 1 << 30

# jsonData key -> what the refusal calls the limit
LIMIT_NAMES = {
    "scanLimitObjects": "scan limit",
    "queryLimitObjects": "budget per query",
    "queryLimitMB": "budget per query",
    "alertLimitObjects": "budget per alert query",
    "alertLimitMB": "budget per alert query",
}


@dataclass(frozen=True)
class Cap:
    """One limit and the setting that sets it (named in the refusal, so the user knows what to change)."""

    limit: int
    setting: str

    @property
    def name(self) -> str:
        return LIMIT_NAMES[self.setting]


@dataclass(frozen=True)
class Budget:
    """What one query may read after pruning; ``None``: no limit of that kind."""

    kind: BudgetKind = "query"
    objects: Cap | None = None
    bytes: Cap | None = None

    @property
    def capped(self) -> bool:
        return self.objects is not None or self.bytes is not None


@dataclass(frozen=True)
class Budgets:
    """The datasource's limits as set; ``for_query`` gives the one budget a query gets."""

    scan_limit_objects: int = DEFAULT_SCAN_LIMIT_OBJECTS
    query_objects: int = DEFAULT_QUERY_LIMIT_OBJECTS
    query_bytes: int = DEFAULT_QUERY_LIMIT_MB << 20
    alert_objects: int = DEFAULT_ALERT_LIMIT_OBJECTS
    alert_bytes: int = DEFAULT_ALERT_LIMIT_MB << 20

    def for_query(self, *, from_alert: bool, open_ended: bool) -> Budget:
        """The tightest limits that apply: an alert query obeys both budgets, an open-ended scan the scan limit too."""
        objects = [Cap(self.query_objects, "queryLimitObjects")]
        sizes = [Cap(self.query_bytes, "queryLimitMB")]
        if from_alert:
            objects.append(Cap(self.alert_objects, "alertLimitObjects"))
            sizes.append(Cap(self.alert_bytes, "alertLimitMB"))
        if open_ended:
            objects.append(Cap(self.scan_limit_objects, "scanLimitObjects"))
        return Budget("alert" if from_alert else "query", _tightest(objects), _tightest(sizes))


def _tightest(caps: list[Cap]) -> Cap | None:
    set_caps = [cap for cap in caps if cap.limit > 0]
    return min(set_caps, key=lambda cap: cap.limit) if set_caps else None


def parse_budgets(data: Mapping[str, Any], number: Callable[..., float]) -> Budgets:
    """The limits of ``jsonData``; ``number`` is the settings' validating reader (names the field on a 400)."""
    return Budgets(
        scan_limit_objects=int(number(data, "scanLimitObjects", DEFAULT_SCAN_LIMIT_OBJECTS, low=1, high=_MAX_OBJECTS)),
        query_objects=int(number(data, "queryLimitObjects", DEFAULT_QUERY_LIMIT_OBJECTS, low=0, high=_MAX_OBJECTS)),
        query_bytes=int(number(data, "queryLimitMB", DEFAULT_QUERY_LIMIT_MB, low=0, high=_MAX_MB) * (1 << 20)),
        alert_objects=int(number(data, "alertLimitObjects", DEFAULT_ALERT_LIMIT_OBJECTS, low=0, high=_MAX_OBJECTS)),
        alert_bytes=int(number(data, "alertLimitMB", DEFAULT_ALERT_LIMIT_MB, low=0, high=_MAX_MB) * (1 << 20)),
    )
