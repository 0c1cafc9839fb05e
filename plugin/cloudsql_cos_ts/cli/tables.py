"""Print Arrow tables for people: aligned text, CSV or JSON lines.

A binary column of a frame is Grafana's JSON field type (a logs frame's labels, a struct or list
result): its JSON is printed as text, and as JSON in JSON lines; other bytes as hex.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from typing import Any

import pyarrow as pa

MAX_CELL = 60


def _json_field(value: bytes) -> Any:
    """The JSON a binary cell holds, or its bytes as hex when they are not JSON."""
    try:
        return json.loads(value)
    except ValueError:  # not UTF-8, or not JSON
        return value.hex()


def _cell(value: Any, limit: int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        decoded = _json_field(value)
        value = decoded if isinstance(decoded, str) else json.dumps(decoded, ensure_ascii=False)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, float):
        return f"{value:.6g}"
    text = str(value)
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


def text_table(
    table: pa.Table, max_rows: int | None = 25, headers: list[str] | None = None, max_cell: int | None = MAX_CELL
) -> str:
    """Columns padded to their widest cell; rows past ``max_rows`` are counted, not shown."""
    names = headers or table.column_names
    rows = table.slice(0, max_rows).to_pylist() if max_rows is not None else table.to_pylist()
    cells = [[_cell(v, max_cell) for v in row.values()] for row in rows]
    widths = [max([len(n), *(len(r[i]) for r in cells)]) for i, n in enumerate(names)]
    lines = ["  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    if max_rows is not None and table.num_rows > max_rows:
        lines.append(f"… {table.num_rows - max_rows} more row(s)")
    lines.append(f"({table.num_rows} row(s))")
    return "\n".join(lines)


def csv_text(table: pa.Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(table.column_names)
    for row in table.to_pylist():
        writer.writerow([_cell(v, None) if v is None or isinstance(v, bytes) else _json_value(v) for v in row.values()])
    return out.getvalue()


def json_lines(table: pa.Table) -> str:
    return "".join(json.dumps(row, default=_json_value) + "\n" for row in table.to_pylist())


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return _json_field(value)
    if isinstance(value, int | float | str | bool):
        return value
    return str(value)
