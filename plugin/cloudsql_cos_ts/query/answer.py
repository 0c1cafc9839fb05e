"""The answers to one QueryData request, before they are written as the ``QueryDataResponse`` (``server/wire.py``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from cloudsql_cos_ts.errors import PluginError


@dataclass
class QueryAnswer:
    frames: list[bytes] = field(default_factory=list)
    status: int = 200
    error: str = ""
    source: str = ""
    # A cache hit: until when (epoch seconds) the same request may get these very answers again.
    reusable_until: float | None = None

    @staticmethod
    def failure(error: PluginError) -> QueryAnswer:
        return QueryAnswer(status=error.status, error=error.message, source=error.source)


@dataclass
class RequestAnswers:
    """Every refId's answer, and the engine that gave them ("none" when no datasource could be opened)."""

    engine: str
    by_ref: dict[str, QueryAnswer]
