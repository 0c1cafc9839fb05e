"""Draw a panel's frames as a PNG, roughly the way Grafana would show them.

Time-series frames become lines (one per series, named like Grafana names them); table frames become
bar charts (first text column as the categories, every numeric column as bars), and a table without
numbers is drawn as a table. matplotlib is a development dependency: it is imported here only,
never by the plugin process.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.types as pat

from cloudsql_cos_ts.cli.frames import DecodedFrame

if TYPE_CHECKING:
    from matplotlib.axes import Axes

_DARK = "#181b1f"  # Grafana's dark theme background
_TEXT = "#ccccdc"
_PALETTE = ("#73bf69", "#f2495c", "#5794f2", "#ff9830", "#b877d9", "#fade2a", "#8ab8ff", "#ff7383")


def render_panel(title: str, frames: list[DecodedFrame], time_series: bool, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(9, 4.8), dpi=100)
    figure.patch.set_facecolor(_DARK)
    axes.set_facecolor(_DARK)
    axes.set_title(title, color=_TEXT, loc="left", fontsize=12)
    if time_series:
        _lines(axes, frames)
    else:
        _bars_or_table(axes, frames[0].table if frames else pa.table({}))
    for spine in axes.spines.values():
        spine.set_color("#444")
    axes.tick_params(colors=_TEXT)
    figure.tight_layout()
    figure.savefig(path, facecolor=_DARK)
    plt.close(figure)
    return path


def _lines(axes: Axes, frames: list[DecodedFrame]) -> None:
    count = 0
    for frame in frames:
        time_fields = [f.name for f in frame.table.schema if pat.is_timestamp(f.type)]
        if not time_fields:
            continue
        times = frame.table.column(time_fields[0]).to_pylist()
        for field in frame.table.schema:
            if _is_number(field.type):
                color = _PALETTE[count % len(_PALETTE)]
                values = frame.table.column(field.name).to_pylist()
                axes.plot(times, values, label=frame.display_name(field.name), color=color, linewidth=2)
                count += 1
    if count:
        axes.legend(facecolor=_DARK, labelcolor=_TEXT, edgecolor="#444")
        axes.grid(color="#333")
    else:
        _no_data(axes)


def _bars_or_table(axes: Axes, table: pa.Table) -> None:
    numbers = [f.name for f in table.schema if _is_number(f.type)]
    texts = [f.name for f in table.schema if pat.is_string(f.type) or pat.is_large_string(f.type)]
    if table.num_rows == 0:
        _no_data(axes)
        return
    if not numbers:
        _table(axes, table)
        return
    categories = [str(v) for v in table.column(texts[0]).to_pylist()] if texts else [""]
    rows = range(len(categories))
    width = 0.8 / len(numbers)
    for index, name in enumerate(numbers):
        values = table.column(name).to_pylist()[: len(categories)]
        offsets = [r + (index - (len(numbers) - 1) / 2) * width for r in rows]
        axes.barh(offsets, values, height=width, label=name, color=_PALETTE[index % len(_PALETTE)])
    axes.set_yticks(list(rows), categories)
    axes.invert_yaxis()
    axes.legend(facecolor=_DARK, labelcolor=_TEXT, edgecolor="#444")
    axes.grid(axis="x", color="#333")


def _table(axes: Axes, table: pa.Table, max_rows: int = 24) -> None:
    rows = [[str(v) for v in row.values()] for row in table.slice(0, max_rows).to_pylist()]
    axes.axis("off")
    drawn = axes.table(cellText=rows, colLabels=table.column_names, loc="upper left", cellLoc="left")
    drawn.auto_set_font_size(False)
    drawn.set_fontsize(7)
    for (row, _), cell in drawn.get_celld().items():
        cell.set_edgecolor("#444")
        cell.set_facecolor("#3d71d9" if row == 0 else ("#22252b" if row % 2 else _DARK))
        cell.get_text().set_color("white" if row == 0 else _TEXT)


def _no_data(axes: Axes) -> None:
    axes.text(0.5, 0.5, "No data", color=_TEXT, ha="center", va="center", transform=axes.transAxes)


def _is_number(kind: pa.DataType) -> bool:
    return bool(pat.is_integer(kind) or pat.is_floating(kind) or pat.is_decimal(kind))
