"""An in-memory data frame as Grafana's SDK models it: named fields with labels and config, plus meta."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cloudsql_cos_ts.frames.meta import FrameMeta

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
    meta: FrameMeta = field(default_factory=FrameMeta)

    @property
    def row_count(self) -> int:
        return len(self.fields[0].values) if self.fields else 0
