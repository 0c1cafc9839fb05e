"""Independent answers to the dashboard's questions, computed in plain Python from the raw objects.

Nothing here uses the plugin, DuckDB or SQL: the generated gzip JSON documents are read with the
standard library and the questions are answered with dictionaries, so the plugin's results are
checked against a second implementation.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@dataclass(frozen=True)
class Record:
    header: dict[str, Any]
    fields: dict[str, Any]

    def time(self, name: str) -> datetime:
        source = self.header if name.startswith("capture_") else self.fields
        return parse_time(source[name])


def load_records(folder: Path) -> list[Record]:
    records = []
    for path in sorted(folder.rglob("*.gz")):
        document = json.loads(gzip.decompress(path.read_bytes()))
        header = {k: v for k, v in document.items() if k != "flow_logs"}
        records += [Record(header, fields) for fields in document["flow_logs"]]
    return records


def in_range(record: Record, column: str, start: datetime, end: datetime) -> bool:
    return start <= record.time(column) <= end


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def counts_by(records: list[Record], key: str) -> Counter[str]:
    return Counter(r.fields[key] for r in records)


def bucket_counts(records: list[Record], key: str, time_column: str, width_ms: int) -> dict[str, dict[int, int]]:
    """{key value: {bucket start (epoch ms): count}} with epoch-aligned buckets, empty ones absent."""
    series: dict[str, Counter[int]] = defaultdict(Counter)
    for record in records:
        moment = epoch_ms(record.time(time_column))
        series[record.fields[key]][moment - moment % width_ms] += 1
    return {k: dict(v) for k, v in series.items()}
