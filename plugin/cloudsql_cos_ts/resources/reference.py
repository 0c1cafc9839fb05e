"""The editor's help and completion data, built from the macro registry, the TS function table and
the enrichment functions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from cloudsql_cos_ts.dialect.ts_reference import TS_FUNCTIONS
from cloudsql_cos_ts.enrichment.functions import FUNCTIONS as ENRICHMENT_FUNCTIONS
from cloudsql_cos_ts.macros.registry import MACROS


class _Documented(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def signature(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def example(self) -> str: ...


def _entries(group: Iterable[_Documented]) -> list[dict[str, str]]:
    return [{"name": e.name, "signature": e.signature, "description": e.description, "example": e.example}
            for e in group]


def macro_reference() -> dict[str, Any]:
    """``{"macros": [...], "functions": [...]}``, each entry ``{"name", "signature", "description", "example"}``."""
    return {"macros": _entries(MACROS), "functions": _entries(TS_FUNCTIONS) + _entries(ENRICHMENT_FUNCTIONS)}
