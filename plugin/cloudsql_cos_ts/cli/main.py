"""``cloudsql-cos-ts``: the plugin's functions for people who live in a terminal.

Subcommands: ``generate-flowlogs`` (sample data), ``query`` (the QueryData pipeline), ``check`` (the
Save & test stages), ``expand`` (macro preview, the editor's endpoint), ``compact`` (settled days into
the flow lake) and ``serve`` (the plugin process as Grafana's launcher starts it). Exit codes: 0
success, 1 a failed query or check, 2 bad usage. Secrets are never printed: errors are the plugin's
own messages, which never hold one.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from cloudsql_cos_ts.cli.datasource_args import add_datasource_arguments, context_from_args
from cloudsql_cos_ts.cli.tables import text_table

if TYPE_CHECKING:
    from cloudsql_cos_ts.instances import InstanceManager

Handler = Callable[[argparse.Namespace], int]


def _instances(args: argparse.Namespace) -> InstanceManager:
    from dataclasses import replace

    from cloudsql_cos_ts.instances import InstanceManager
    from cloudsql_cos_ts.log import log
    from cloudsql_cos_ts.settings.plugin import load_plugin_settings

    log.set_level("error")  # the plugin's JSON logs go to stderr; a terminal user wants answers
    plugin = load_plugin_settings()
    if args.cache_dir is not None:
        plugin = replace(plugin, cache_dir=args.cache_dir)
    return InstanceManager(plugin)


def _query(args: argparse.Namespace) -> int:
    from cloudsql_cos_ts.cli.query import QueryFailed, print_frames, print_stats, run_query
    from cloudsql_cos_ts.errors import PluginError

    instances = _instances(args)
    try:
        frames = run_query(instances, context_from_args(args), args)
    except (QueryFailed, PluginError, ValueError) as exc:
        print(f"cloudsql-cos-ts: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 1
    finally:
        instances.close()
    print_frames(frames, args.output)
    if args.stats:
        print_stats(frames)
    return 0


def _check(args: argparse.Namespace) -> int:
    import pyarrow as pa

    from cloudsql_cos_ts.health.check import check_health

    instances = _instances(args)
    try:
        report = check_health(instances, context_from_args(args))
    finally:
        instances.close()
    rows = pa.table(
        {
            "stage": [s.name for s in report.stages],
            "status": [s.status for s in report.stages],
            "ms": [s.ms for s in report.stages],
            "detail": [s.detail for s in report.stages],
        }
    )
    print(text_table(rows, max_rows=None, max_cell=None))
    print(("OK: " if report.ok else "FAILED: ") + report.message)
    return 0 if report.ok else 1


def _expand(args: argparse.Namespace) -> int:
    from cloudsql_cos_ts.cli.query import query_model, time_range_ms
    from cloudsql_cos_ts.resources.endpoints import build_router
    from cloudsql_cos_ts.resources.router import ResourceRequest

    instances = _instances(args)
    try:
        from_ms, to_ms = time_range_ms(args)
    except ValueError as exc:
        print(f"cloudsql-cos-ts: {exc}", file=sys.stderr)
        return 2
    body = {"query": {"refId": "A", **query_model(args)}, "range": {"from": from_ms, "to": to_ms}}
    body["intervalMs"] = args.interval_ms
    try:
        request = ResourceRequest("POST", "expand", json.dumps(body).encode(), context_from_args(args))
        answer = build_router(instances).dispatch(request)
    finally:
        instances.close()
    if answer.status != 200:
        print(f"cloudsql-cos-ts: {answer.body.get('error')}", file=sys.stderr)
        return 1
    if args.engine_sql:
        print(answer.body["sql"])
    else:
        print(answer.body["expandedSql"])
    return 0


def _compact(args: argparse.Namespace) -> int:
    from cloudsql_cos_ts.cli.compact import run
    from cloudsql_cos_ts.errors import PluginError

    instances = _instances(args)
    try:
        settings = instances.settings_for(context_from_args(args))
    except PluginError as exc:
        print(f"cloudsql-cos-ts: {exc.message}", file=sys.stderr)
        return 1
    finally:
        instances.close()
    return run(args, settings, instances.plugin)


def _serve(_: argparse.Namespace) -> int:
    """The plugin process; by hand it gets the variables Grafana would set."""
    os.environ.setdefault("grafana_plugin_type", "datasource")
    os.environ.setdefault("PLUGIN_PROTOCOL_VERSIONS", "2")
    from cloudsql_cos_ts.server.main import main as plugin_main

    return plugin_main()


def _generate(args: argparse.Namespace) -> int:
    from cloudsql_cos_ts.flowlogs.generator import main as generator_main

    return generator_main(args.generator_args)


def _add_query_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sql", help="the query text (IBM SQL Query dialect with macros); '-' reads stdin")
    parser.add_argument("--from", dest="time_from", default="now-6h", help="start: now-6h (default), RFC 3339, …")
    parser.add_argument("--to", dest="time_to", default="now", help="end: now (default), now-1d/d, RFC 3339, …")
    parser.add_argument("--format", choices=("table", "time_series", "logs"), default="table", help="result shaping")
    parser.add_argument("--time-column", help="the time column (time series, $__timeFilter)")
    parser.add_argument("--metrics-column", help="the column whose values name the series (time series)")
    parser.add_argument("--interval-ms", type=int, default=60_000, help="$__interval in ms (default 60000)")
    add_datasource_arguments(parser)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cloudsql-cos-ts", description="SQL over IBM Cloud VPC flow logs in COS: the Grafana plugin's CLI."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")

    generate = commands.add_parser(
        "generate-flowlogs", help="write sample VPC flow logs", add_help=False, prefix_chars="\0"
    )
    generate.add_argument("generator_args", nargs=argparse.REMAINDER, help="see generate-flowlogs --help")
    generate.set_defaults(handler=_generate)

    query = commands.add_parser("query", help="run a query through the QueryData pipeline")
    _add_query_arguments(query)
    query.add_argument("--output", choices=("table", "csv", "json"), default="table", help="output form")
    query.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar on stderr")
    query.add_argument("--stats", action="store_true", help="print what the query read and cost on stderr")
    query.set_defaults(handler=_query)

    check = commands.add_parser("check", help="run the Save & test stages; exit 1 on failure")
    add_datasource_arguments(check)
    check.set_defaults(handler=_check)

    expand = commands.add_parser("expand", help="print a query after macro expansion, without running it")
    _add_query_arguments(expand)
    expand.add_argument("--engine-sql", action="store_true", help="print the engine's SQL (after translation)")
    expand.set_defaults(handler=_expand)

    compact = commands.add_parser("compact", help="compact settled days of flow logs into the flow lake")
    compact.add_argument("--from", dest="time_from", required=True, help="first day: 2026-12-01, now-30d, …")
    compact.add_argument("--to", dest="time_to", default="now-2d", help="last day (default now-2d)")
    compact.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar on stderr")
    compact.add_argument(
        "--verify", action="store_true", help="download each current part and check it (repairs damaged parts)"
    )
    add_datasource_arguments(compact)
    compact.set_defaults(handler=_compact)

    serve = commands.add_parser("serve", help="run the plugin process (prints go-plugin's handshake)")
    serve.set_defaults(handler=_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "sql", None) == "-":
        args.sql = sys.stdin.read()
    handler: Handler = args.handler
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
