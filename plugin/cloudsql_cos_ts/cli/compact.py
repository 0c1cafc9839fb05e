"""``cloudsql-cos-ts compact``: settled days of a datasource's flow logs written to its flow lake.

The command is resumable by construction: each day is published with its manifest, a day whose
manifest matches the listing is skipped, and an interrupted run leaves nothing a reader uses, so
running it again over the same range finishes the job. The ingest cache of ``--cache-dir`` lends
its rows (days a query already read are not downloaded again) and keeps the days it builds.
"""

from __future__ import annotations

import argparse
import signal
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.cli.timeparse import parse_time
from cloudsql_cos_ts.errors import BadRequest, PluginError
from cloudsql_cos_ts.flowlogs.lake.compact import DayResult, RawSource, compact_range
from cloudsql_cos_ts.flowlogs.lake.layout import open_lake
from cloudsql_cos_ts.settings.datasource import DatasourceSettings
from cloudsql_cos_ts.settings.plugin import PluginSettings


@dataclass(frozen=True)
class CompactRange:
    first: date
    last: date


def days_from_args(args: argparse.Namespace, now: datetime) -> CompactRange:
    """The inclusive day range ``--from``/``--to`` name (Grafana's time syntax or dates); ``ValueError`` if empty."""
    first = parse_time(args.time_from, now=now, is_end=False).astimezone(UTC).date()
    last = parse_time(args.time_to, now=now, is_end=True).astimezone(UTC).date()
    if last < first:
        raise ValueError(f"--from ({first}) must not be after --to ({last})")
    return CompactRange(first, last)


def compact(
    settings: DatasourceSettings, plugin: PluginSettings, days: CompactRange, *, show_progress: bool, verify: bool
) -> int:
    """Compact the range into the datasource's lake; the exit code (0 done, 1 failed or interrupted)."""
    from cloudsql_cos_ts.engines.duckdb.source import ingest_cache

    if settings.source is None or settings.source_format != "flowlogs":
        raise BadRequest("compact needs a flow-log source (source, with sourceFormat flowlogs)")
    if settings.lake is None:
        raise BadRequest("compact needs a lake location: set lakeLocation (or --lake-location)")
    raw = RawSource.of(settings.source, settings.credentials)
    lake = open_lake(settings.lake, settings.source, settings.credentials)
    stop = CancelToken()
    previous = signal.signal(signal.SIGINT, lambda *_: stop.cancel())
    bar = _bar((days.last - days.first).days + 1, show_progress)
    written: list[DayResult] = []

    def progress(result: DayResult, done: int, total: int) -> None:
        written.append(result)
        if bar is not None:
            bar.set_postfix_str(f"{result.day} {result.status}", refresh=False)
            bar.update(1)

    try:
        results = compact_range(
            raw,
            lake,
            days.first,
            days.last,
            cache=ingest_cache(plugin),
            cancel=stop,
            progress=progress,
            verify=verify,
        )
    finally:
        signal.signal(signal.SIGINT, previous)
        if bar is not None:
            bar.close()
        stop.close()
    for result in results:
        print(_line(result))
    if stop.is_cancelled():
        print("cloudsql-cos-ts: interrupted; run the same command again to finish", file=sys.stderr)
        return 1
    return 0


def _line(result: DayResult) -> str:
    if result.status == "written":
        return (
            f"{result.day} written: {result.objects} objects ({result.downloaded} downloaded), {result.rows} rows, "
            f"{result.size / (1 << 20):.1f} MB -> {result.part}"
        )
    if result.status == "current":
        return f"{result.day} current: the lake already holds its {result.objects} objects"
    if result.status == "unsettled":
        return f"{result.day} skipped: not settled yet (objects may still arrive)"
    return f"{result.day} empty: no flow-log objects"


def _bar(total: int, enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="day", file=sys.stderr, desc="compacting")


def run(args: argparse.Namespace, settings: DatasourceSettings, plugin: PluginSettings) -> int:
    """The command's body once the settings are parsed: usage errors are 2, failures 1."""
    try:
        days = days_from_args(args, datetime.now(UTC))
    except ValueError as exc:
        print(f"cloudsql-cos-ts: {exc}", file=sys.stderr)
        return 2
    try:
        return compact(settings, plugin, days, show_progress=args.progress, verify=args.verify)
    except PluginError as exc:
        print(f"cloudsql-cos-ts: {exc.message}", file=sys.stderr)
        return 1
