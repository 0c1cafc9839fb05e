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


def parse_time(text: str) -> datetime | None:
    """An RFC 3339 time; None for "" or text that is no time, as IBM SQL Query (Spark, ANSI off) read them."""
    try:
        return datetime.fromisoformat(text).astimezone(UTC)
    except ValueError:
        return None


@dataclass(frozen=True)
class Record:
    header: dict[str, Any]
    fields: dict[str, Any]

    def time(self, name: str) -> datetime | None:
        source = self.header if name.startswith("capture_") else self.fields
        return parse_time(source[name])


def load_records(folder: Path) -> list[Record]:
    records = []
    for path in sorted(folder.rglob("*.gz")):
        body = path.read_bytes()
        document = json.loads(gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body)
        header = {k: v for k, v in document.items() if k != "flow_logs"}
        records += [Record(header, fields) for fields in document["flow_logs"]]
    return records


def in_range(record: Record, column: str, start: datetime, end: datetime) -> bool:
    """A record without that time (NULL) is in no range."""
    moment = record.time(column)
    return moment is not None and start <= moment <= end


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def counts_by(records: list[Record], key: str) -> Counter[str]:
    return Counter(r.fields[key] for r in records)


def bucket_counts(
    records: list[Record], key: str, time_column: str, width_ms: int, *, empty: bool = False
) -> dict[str, dict[int, int]]:
    """{key value: {bucket start (epoch ms): count}} with epoch-aligned buckets; the empty ones absent
    ($__timeGroup without fill) or, with ``empty``, 0 from a key's first to its last bucket (the empty
    windows of TS_SEGMENT_BY_TIME)."""
    series: dict[str, Counter[int]] = defaultdict(Counter)
    for record in records:
        when = record.time(time_column)
        if when is None:  # a NULL time belongs to no bucket
            continue
        moment = epoch_ms(when)
        series[record.fields[key]][moment - moment % width_ms] += 1
    if empty:
        for counts in series.values():
            for start in range(min(counts), max(counts), width_ms):
                counts[start] += 0
    return {k: dict(v) for k, v in series.items()}
