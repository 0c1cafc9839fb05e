"""Read the data frames the plugin answers with (Arrow IPC files) back into tables with their labels.

The CLI and the main job show what Grafana would receive, so they decode the very bytes QueryData
returns instead of looking at the engine's table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pyarrow as pa


@dataclass(frozen=True)
class DecodedFrame:
    name: str
    table: pa.Table
    labels: dict[str, dict[str, str]]  # field name → its labels (time series)
    meta: dict[str, object]

    def display_name(self, field: str) -> str:
        """How Grafana names a series: the field name, then its labels (``rejected {target_ip=10.0.0.4}``)."""
        labels = self.labels.get(field)
        if not labels:
            return field
        return f"{field} {{{', '.join(f'{k}={v}' for k, v in sorted(labels.items()))}}}"


def decode_frame(data: bytes) -> DecodedFrame:
    reader = pa.ipc.open_file(pa.py_buffer(data))
    table = reader.read_all()
    metadata = table.schema.metadata or {}
    labels = {f.name: json.loads(f.metadata[b"labels"]) for f in table.schema if f.metadata and b"labels" in f.metadata}
    meta = json.loads(metadata[b"meta"]) if b"meta" in metadata else {}
    return DecodedFrame(metadata.get(b"name", b"").decode(), table, labels, meta)
