"""W1 warm: the dashboard's statements over the same rows held in other files (issue 19).

Usage: ``.venv/bin/python bench/w1_entry_files.py [--data DIR] --cache DIR [--reps N]``.

The six panels run once through the plugin (``w1_warm_steps.plugin_cpu``, filling ``--cache`` if it is
cold), which records each statement with the source views it ran over. The entries those views read (one a
settled day) are then rewritten, same rows in the same order, as:

- ``entries``: the plugin's own entry writer (``assemble.rewrite``, local codec), what the cache holds;
- ``small groups``: the same writer with row groups of ``SMALL_GROUP_ROWS`` (more, smaller row groups);
- ``duckdb``: DuckDB's own Parquet writer, one file per entry, the baseline's row-group size;
- ``one file`` and ``one file, duckdb``: every entry's rows in one file, by either writer: what entries
  spanning several settled days would give (``flowlogs/groups.py`` keeps one entry a day).

The recorded statements run in a plain DuckDB over each variant, the file names (or the whole file list)
swapped in; variants take turns within each repetition. CPU milliseconds per panel, medians, and each
variant against the first, side by side.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from unittest import mock

import duckdb
import pyarrow.parquet as pq
from w1_entry_layouts import Variants, entry_paths, replay_arguments, replayed, variant_statements
from w1_warm_steps import Statement

from cloudsql_cos_ts.engines.duckdb.views import file_list, sql_string
from cloudsql_cos_ts.flowlogs import assemble

SMALL_GROUP_ROWS = 64 * 1024
BASELINE_GROUP_ROWS = 262_144  # DuckDB's default, the one-file baseline's (w1_raw.parquet_copy)
_FILE_LIST = re.compile(r"\[(?:'[^']+\.parquet'(?:, )?)+\]")

Writer = Callable[[list[Path], Path], list[Path]]  # entries in, the files holding their rows (in order) out


def by_entry_writer(group_rows: int) -> Writer:
    def write(entries: list[Path], folder: Path) -> list[Path]:
        targets = [folder / f"{i:03d}.parquet" for i in range(len(entries))]
        with mock.patch.object(assemble, "ROW_GROUP_ROWS", group_rows):
            for entry, target in zip(entries, targets, strict=True):
                assemble.rewrite(entry, target, assemble.LOCAL_CODEC)
        return targets

    return write


def _duckdb_copy(sources: list[Path], target: Path) -> None:
    """The sources' rows, in order, written by DuckDB (insertion order is kept by default)."""
    con = duckdb.connect(config={"threads": 2, "temp_directory": str(target.parent / "duckdb-tmp")})
    try:
        con.execute(
            f"COPY (SELECT * FROM read_parquet({file_list(sources)})) TO {sql_string(str(target))} "
            f"(FORMAT parquet, COMPRESSION {assemble.LOCAL_CODEC}, ROW_GROUP_SIZE {BASELINE_GROUP_ROWS})"
        )
    finally:
        con.close()


def by_duckdb(entries: list[Path], folder: Path) -> list[Path]:
    targets = [folder / f"{i:03d}.parquet" for i in range(len(entries))]
    for entry, target in zip(entries, targets, strict=True):
        _duckdb_copy([entry], target)
    return targets


def one_file(entries: list[Path], folder: Path) -> list[Path]:
    target = folder / "all.parquet"
    writer = assemble._EntryWriter(target, assemble.LOCAL_CODEC)
    for entry in entries:
        writer.add(pq.read_table(entry))
    writer.close()
    return [target]


def one_file_duckdb(entries: list[Path], folder: Path) -> list[Path]:
    target = folder / "all.parquet"
    _duckdb_copy(entries, target)
    return [target]


VARIANTS: dict[str, Writer] = {
    "entries": by_entry_writer(assemble.ROW_GROUP_ROWS),
    "small groups": by_entry_writer(SMALL_GROUP_ROWS),
    "duckdb": by_duckdb,
    "one file": one_file,
    "one file, duckdb": one_file_duckdb,
}


def swapped(executed: dict[str, list[Statement]], entries: list[Path], files: list[Path]) -> dict[str, list[Statement]]:
    """The recorded statements over ``files``: file for file, or the whole list when one file holds all."""
    if len(files) == len(entries):
        return variant_statements(executed, {str(e): str(f) for e, f in zip(entries, files, strict=True)}, "typed")
    every = file_list(files)
    return {
        panel: [(sql, {name: _FILE_LIST.sub(every, view) for name, view in views.items()}) for sql, views in runs]
        for panel, runs in executed.items()
    }


def main() -> None:
    args = replay_arguments(__doc__, 9).parse_args()
    shapes: dict[str, str] = {}

    def build(executed: dict[str, list[Statement]], folder: Path) -> Variants:
        entries = [Path(p) for p in sorted(entry_paths(executed))]
        variants = {}
        for i, (name, write) in enumerate(VARIANTS.items()):
            (folder / str(i)).mkdir()
            files = write(entries, folder / str(i))
            groups = sum(pq.read_metadata(f).num_row_groups for f in files)
            size = sum(f.stat().st_size for f in files) / 1e6
            shapes[name] = f"{len(files)} files, {groups} row groups, {size:.1f} MB"
            variants[name] = swapped(executed, entries, files)
        return variants

    panels, medians = replayed(args, build)
    names = list(medians)
    for name in names:
        print(f"  {name}: {shapes[name]}")
    print(f"{'panel':<10}" + "".join(f"{name:>18}" for name in names))
    for panel in [p.name for p in panels]:
        cells = [f"{medians[n][panel]:>9.1f} ({medians[n][panel] / medians[names[0]][panel]:.2f})" for n in names]
        print(f"{panel:<10}" + "".join(f"{cell:>18}" for cell in cells))
    totals = {name: sum(medians[name].values()) for name in names}
    print(
        f"{'dashboard':<10}"
        + "".join(f"{totals[n]:>9.1f} ({totals[n] / totals[names[0]]:.2f})".rjust(18) for n in names)
    )


if __name__ == "__main__":
    main()
