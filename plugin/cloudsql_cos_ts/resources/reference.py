"""The editor's help and completion data, built from the macro registry and the TS function table."""

from __future__ import annotations

from typing import Any

from cloudsql_cos_ts.dialect.ts_reference import TS_FUNCTIONS
from cloudsql_cos_ts.macros.registry import MACROS


def macro_reference() -> dict[str, Any]:
    """``{"macros": [...], "functions": [...]}``, each entry ``{"name", "signature", "description", "example"}``."""
    entries = (MACROS, TS_FUNCTIONS)
    macros, functions = (
        [{"name": e.name, "signature": e.signature, "description": e.description, "example": e.example} for e in group]
        for group in entries
    )
    return {"macros": macros, "functions": functions}
