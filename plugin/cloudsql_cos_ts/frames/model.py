"""An in-memory data frame as Grafana's SDK models it: named fields with labels and config, plus meta."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa


@dataclass
class Field:
    """One column. ``nullable=False`` is a promise that ``values`` has no nulls (Grafana then
    ignores the validity bitmap, and alerting requires it for the time field)."""

    name: str
    values: pa.Array | pa.ChunkedArray  # chunked as the engine returned it: encoding copies no column
    labels: dict[str, str] | None = None
    config: dict[str, Any] | None = None
    nullable: bool = True


@dataclass
class Frame:
    name: str
    ref_id: str
    fields: list[Field]
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def row_count(self) -> int:
        return len(self.fields[0].values) if self.fields else 0


TYPE_VERSION = [0, 1]
"""The only dataplane contract version Grafana's readers know."""


def add_notice(meta: dict[str, Any], severity: str, text: str) -> None:
    """Append a notice (``severity`` is info, warning or error — anything else breaks decoding)."""
    meta.setdefault("notices", []).append({"severity": severity, "text": text})
