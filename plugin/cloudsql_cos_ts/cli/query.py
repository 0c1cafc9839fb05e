"""``cloudsql-cos-ts query``: one query through the same pipeline QueryData uses, printed for a terminal.

The query model, the macro expansion, translation, engine, shaping and frame encoding are the
plugin's own; the answer is decoded from the very frames Grafana would receive.
"""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.cli.frames import DecodedFrame, decode_frame
from cloudsql_cos_ts.cli.host import data_query
from cloudsql_cos_ts.cli.tables import csv_text, json_lines, text_table
from cloudsql_cos_ts.cli.timeparse import parse_time
from cloudsql_cos_ts.instances import InstanceManager
from cloudsql_cos_ts.proto import backend_pb2 as pb


def query_model(args: argparse.Namespace) -> dict[str, object]:
    model: dict[str, object] = {"rawSql": args.sql, "format": args.format}
    if args.time_column:
        model["timeColumn"] = args.time_column
    if args.metrics_column:
        model["metricsColumn"] = args.metrics_column
    return model


def time_range_ms(args: argparse.Namespace, now: datetime | None = None) -> tuple[int, int]:
    moment = now or datetime.now(UTC)
    start = parse_time(args.time_from, now=moment, is_end=False)
    end = parse_time(args.time_to, now=moment, is_end=True)
    if start >= end:
        raise ValueError(f"--from ({start:%Y-%m-%dT%H:%M:%SZ}) must be before --to ({end:%Y-%m-%dT%H:%M:%SZ})")
    return int(start.timestamp() * 1000), int(end.timestamp() * 1000)


@contextmanager
def progress(description: str, enabled: bool) -> Iterator[None]:
    """An elapsed-time bar on stderr while a (possibly cold, slow) scan runs."""
    if not enabled:
        yield
        return
    from tqdm import tqdm

    done = threading.Event()
    bar = tqdm(desc=description, file=sys.stderr, bar_format="{desc}: {elapsed}", leave=False)

    def tick() -> None:
        while not done.wait(0.2):
            bar.refresh()

    ticker = threading.Thread(target=tick, daemon=True)
    ticker.start()
    try:
        yield
    finally:
        done.set()
        ticker.join()
        bar.close()


def run_query(instances: InstanceManager, context: pb.PluginContext, args: argparse.Namespace) -> list[DecodedFrame]:
    from cloudsql_cos_ts.query.pipeline import QueryPipeline

    from_ms, to_ms = time_range_ms(args)
    query = data_query("A", query_model(args), from_ms, to_ms, interval_ms=args.interval_ms)
    cancel = CancelToken()
    with (
        ThreadPoolExecutor(max_workers=2, thread_name_prefix="query") as pool,
        progress("query", args.progress and sys.stderr.isatty()),
    ):
        request = pb.QueryDataRequest(pluginContext=context, queries=[query])
        answer = QueryPipeline(instances, pool).run(request, lambda: cancel).by_ref["A"]
    cancel.close()
    if answer.error:
        raise QueryFailed(f"query failed ({answer.status}): {answer.error}")
    return [decode_frame(frame) for frame in answer.frames]


class QueryFailed(Exception):
    pass


def print_frames(frames: list[DecodedFrame], output: str) -> None:
    for frame in frames:
        names = [frame.display_name(f) for f in frame.table.column_names]
        table = frame.table.rename_columns(names)
        if output == "csv":
            sys.stdout.write(csv_text(table))
        elif output == "json":
            sys.stdout.write(json_lines(table))
        else:
            print(text_table(table, max_rows=None))
        notices = frame.meta.get("notices")
        for notice in notices if isinstance(notices, list) else []:
            print(f"{notice.get('severity')}: {notice.get('text')}", file=sys.stderr)


_UNIT_WORDS = {"decbytes": " bytes", "ms": " ms"}


def print_stats(frames: list[DecodedFrame]) -> None:
    """What the query read and cost (the answer's ``meta.stats``, docs/stats.md) on stderr, one per line,
    so the data on stdout stays as it is."""
    stats = frames[0].meta.get("stats") if frames else None
    for stat in stats if isinstance(stats, list) else []:
        print(f"{stat['displayName']}: {stat['value']:g}{_UNIT_WORDS.get(stat['unit'], '')}", file=sys.stderr)
