"""W1 warm: the dashboard's statements over the same ingest entries in other codecs and capture-end reads (issue 19).

Usage: ``.venv/bin/python bench/w1_entry_layouts.py [--data DIR] --cache DIR [--reps N] [--codecs snappy,lz4,zstd]``.

The six panels run once through the plugin (``w1_warm_steps.plugin_cpu``, filling ``--cache`` if it is
cold), which records each statement with the source views it ran over. The entries those views read are
rewritten by the plugin's own entry writer (``assemble.rewrite``: same rows, same order) once per codec,
and the recorded statements run in a plain DuckDB over each variant, their file names swapped in: with the
views as the plugin wrote them (``typed``: the capture-window filter reads the capture end parsed at ingest)
and with that filter parsing ``capture_end_time``'s text on every row (``text``, what entries without the
column cost). Variants take turns within each repetition, so the machine's load falls on all of them alike;
CPU milliseconds per panel, medians, and each variant's dashboard against the first variant's, side by side.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path

from w1_panels import Panel, dashboard, ensure_data
from w1_raw import RawDuckDB
from w1_warm_steps import Statement, plain_cpu, plugin_cpu

from cloudsql_cos_ts.flowlogs.assemble import rewrite
from cloudsql_cos_ts.flowlogs.decode import CAPTURE_END_TS
from cloudsql_cos_ts.flowlogs.schema import quote_identifier
from cloudsql_cos_ts.settings.datasource import DEFAULT_MEMORY_LIMIT, DEFAULT_THREADS

_ENTRY = re.compile(r"'([^']+/[0-9a-f]{64}\.parquet)'")
_TEXT_END = "timezone('UTC', TRY_CAST(\"capture_end_time\" AS TIMESTAMPTZ))"


def entry_paths(executed: dict[str, list[Statement]]) -> set[str]:
    return {
        path
        for runs in executed.values()
        for _, views in runs
        for body in views.values()
        for path in _ENTRY.findall(body)
    }


def variant_statements(
    executed: dict[str, list[Statement]], renamed: dict[str, str], end: str
) -> dict[str, list[Statement]]:
    """The recorded statements over the renamed files, the capture end read as ``end`` says."""

    def body(text: str) -> str:
        for old, new in renamed.items():
            text = text.replace(old, new)
        return text.replace(quote_identifier(CAPTURE_END_TS), _TEXT_END) if end == "text" else text

    return {
        panel: [(sql, {name: body(view) for name, view in views.items()}) for sql, views in runs]
        for panel, runs in executed.items()
    }


def chooser(
    statements: dict[str, list[Statement]], refs: dict[tuple[str, str], int]
) -> Callable[[str, str], Statement]:
    """What ``plain_cpu`` asks for: a panel's query's statement and views, by panel name and refId."""
    return lambda panel, ref: statements[panel][refs[panel, ref]]


def rewritten(
    executed: dict[str, list[Statement]], codecs: list[str], folder: Path
) -> tuple[dict[str, dict[str, list[Statement]]], dict[str, int]]:
    """The statements per variant (codec and capture-end read) over entries rewritten into ``folder``, and each
    codec's bytes."""
    paths = sorted(entry_paths(executed))
    variants: dict[str, dict[str, list[Statement]]] = {}
    sizes: dict[str, int] = {}
    for codec in codecs:
        renamed = {}
        for i, path in enumerate(paths):
            target = folder / codec / f"{i:03d}-{Path(path).name}"
            target.parent.mkdir(parents=True, exist_ok=True)
            rewrite(Path(path), target, codec)
            renamed[path] = str(target)
        sizes[codec] = sum(Path(p).stat().st_size for p in renamed.values())
        for end in ("typed", "text"):
            variants[f"{codec}/{end}"] = variant_statements(executed, renamed, end)
    return variants, sizes


def in_turns(
    variants: dict[str, dict[str, list[Statement]]], panels: list[Panel], reps: int
) -> dict[str, dict[str, float]]:
    """Median CPU ms per variant and panel, the variants taking turns (a rotating order) in each repetition."""
    refs = {(panel.name, query.ref): i for panel in panels for i, query in enumerate(panel.queries)}
    samples: dict[str, dict[str, list[float]]] = {name: {} for name in variants}
    names = list(variants)
    for rep in range(reps):
        for name in names[rep % len(names) :] + names[: rep % len(names)]:
            duck = RawDuckDB(None, threads=DEFAULT_THREADS, memory_limit=DEFAULT_MEMORY_LIMIT)
            cpu, _ = plain_cpu(duck, panels, 1, chooser(variants[name], refs))
            for panel, ms in cpu.items():
                samples[name].setdefault(panel, []).append(ms)
    return {name: {p: statistics.median(v) for p, v in per.items()} for name, per in samples.items()}


def replay_arguments(doc: str | None, reps: int) -> argparse.ArgumentParser:
    """The options of a bench that replays the plugin's recorded statements over rewritten entries."""
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "w1-flowlogs")
    parser.add_argument("--cache", type=Path, required=True, help="ingest cache folder (filled if cold)")
    parser.add_argument("--reps", type=int, default=reps)
    return parser


Variants = dict[str, dict[str, list[Statement]]]


def replayed(
    args: argparse.Namespace, build: Callable[[dict[str, list[Statement]], Path], Variants]
) -> tuple[list[Panel], dict[str, dict[str, float]]]:
    """The six panels and each variant's median CPU ms per panel: the statements recorded from the plugin
    (filling ``--cache`` if cold), turned into variants by ``build`` in a scratch folder, which is removed after.
    Prints the load average around it."""
    panels = dashboard(ensure_data(args.data))
    load = os.getloadavg()[0]
    _, _, executed = plugin_cpu(args.data.resolve(), args.cache, panels, 0)
    folder = Path(tempfile.mkdtemp(prefix="w1-variants-", dir=args.cache))
    try:
        medians = in_turns(build(executed, folder), panels, args.reps)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    after = os.getloadavg()[0]
    print(f"load average {load:.1f} -> {after:.1f} on {os.cpu_count()} cores; CPU ms, median of {args.reps}")
    return panels, medians


def main() -> None:
    parser = replay_arguments(__doc__, 7)
    parser.add_argument("--codecs", default="snappy,lz4,zstd")
    args = parser.parse_args()
    sizes: dict[str, int] = {}

    def build(executed: dict[str, list[Statement]], folder: Path) -> Variants:
        variants, written = rewritten(executed, args.codecs.split(","), folder)
        sizes.update(written)
        return variants

    panels, medians = replayed(args, build)
    names = list(medians)
    print("entry bytes: " + ", ".join(f"{codec} {size / 1e6:.1f} MB" for codec, size in sizes.items()))
    print(f"{'panel':<10}" + "".join(f"{name:>14}" for name in names))
    for panel in [p.name for p in panels]:
        print(f"{panel:<10}" + "".join(f"{medians[name][panel]:>14.1f}" for name in names))
    totals = {name: sum(medians[name].values()) for name in names}
    print(f"{'dashboard':<10}" + "".join(f"{totals[name]:>14.1f}" for name in names))
    print(f"{'/ first':<10}" + "".join(f"{totals[name] / totals[names[0]]:>14.2f}" for name in names))


if __name__ == "__main__":
    main()
