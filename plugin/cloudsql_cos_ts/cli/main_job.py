"""The main job: sample flow logs → the real plugin process → the bundled dashboard, printed and drawn.

``scripts/main_job.sh`` builds ``dist/`` and calls this module with the built executable. It
generates flow logs into the output folder, starts the plugin the way Grafana does, resolves the two
variables, runs every panel (all targets of a panel in one QueryData call, as Grafana sends them)
and the alert query (with Grafana's alerting header), prints each result as a table and writes one
PNG per panel. With ``GRAFANA_BIN``/``GRAFANA_HOME`` set it then starts Grafana on the same data.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from cloudsql_cos_ts.cli.charts import render_panel
from cloudsql_cos_ts.cli.content import Panel, load_alert_query, load_dashboard, substitute
from cloudsql_cos_ts.cli.frames import DecodedFrame, decode_frame
from cloudsql_cos_ts.cli.host import PluginHost, data_query, datasource_context
from cloudsql_cos_ts.cli.tables import text_table
from cloudsql_cos_ts.flowlogs.generator import GenerationSummary, generate
from cloudsql_cos_ts.proto import backend_pb2 as pb

DATASOURCE_UID = "vpc-flow-logs"
ALERT_THRESHOLD = 20


@dataclass
class Run:
    host: PluginHost
    context: pb.PluginContext
    from_ms: int
    to_ms: int

    def frames(self, models: list[dict[str, object]], headers: dict[str, str] | None = None) -> list[DecodedFrame]:
        queries = [data_query(str(m["refId"]), m, self.from_ms, self.to_ms) for m in models]
        answers = self.host.query_data(self.context, queries, headers)
        frames: list[DecodedFrame] = []
        for ref in (str(m["refId"]) for m in models):
            answer = answers[ref]
            if answer.status != 200 or answer.error:
                raise SystemExit(f"query {ref} failed ({answer.status}): {answer.error}")
            frames += [decode_frame(f) for f in answer.frames]
        return frames


def _section(title: str) -> None:
    print(f"\n=== {title} ===")


def _print_frames(frames: list[DecodedFrame]) -> None:
    if not frames:
        print("(no frames)")
    for frame in frames:
        names = [frame.display_name(f) for f in frame.table.column_names]
        print(text_table(frame.table, max_rows=15, headers=names))


def resolve_variables(run: Run, dashboard_path: Path, summary: GenerationSummary) -> dict[str, str]:
    dashboard = load_dashboard(dashboard_path)
    values: dict[str, str] = {}
    for variable in dashboard.variables:
        _section(f"variable {variable.name}")
        frames = run.frames([{**variable.query, "refId": "variable", "format": "table"}])
        _print_frames(frames)
        column = frames[0].table.column(frames[0].table.num_columns - 1).to_pylist() if frames else []
        if variable.name == "target_ip":
            # Grafana preselects the first value; the demo picks the address the sample scanner probes.
            choice = summary.scanned_target if summary.scanned_target in column else (column or [""])[0]
            values[variable.name] = choice
            print(f"→ {variable.name} = {choice}")
        elif column:
            values[variable.name] = str(column[0])
    return values


def run_panel(run: Run, panel: Panel, values: dict[str, str], out: Path) -> Path:
    title = substitute(panel.title, values)
    _section(f"panel {panel.id}: {title} ({panel.type})")
    models = [{**t, "rawSql": substitute(str(t["rawSql"]), values)} for t in panel.targets]
    frames = run.frames(models)
    _print_frames(frames)
    image = out / f"panel-{panel.id}.png"
    return render_panel(title, frames, panel.type == "timeseries", image)


def run_alert(run: Run, alert_path: Path) -> list[str]:
    _section("alert rule: Rejected connections per VSI (A = query, B = last, C = B > 20)")
    frames = run.frames([{**load_alert_query(alert_path), "refId": "A"}], headers={"FromAlert": "true"})
    firing = []
    for frame in frames:
        for name in frame.table.column_names[1:]:
            values = [v for v in frame.table.column(name).to_pylist() if v is not None]
            last = values[-1] if values else None
            state = "FIRING" if last is not None and last > ALERT_THRESHOLD else "normal"
            print(f"{frame.display_name(name)}: last {last} → {state}")
            if state == "FIRING":
                firing.append(frame.display_name(name))
    return firing


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    data = out / "flowlogs"
    summary = generate(
        data,
        vnics=args.vnics,
        days=args.hours / 24,
        records_per_object=args.records_per_object,
        progress=not args.no_progress,
    )
    print(
        f"generated {summary.objects} flow-log objects ({summary.records} records) in {data}, "
        f"{summary.start:%Y-%m-%d %H:%M} .. {summary.end:%Y-%m-%d %H:%M} UTC; port scanner "
        f"{summary.scanner_ip} → {summary.scanned_target}"
    )
    json_data = {"source": str(data), "destination": str(out / "results"), "engine": "duckdb"}
    context = datasource_context(json_data, uid=DATASOURCE_UID, name="VPC flow logs")
    host = PluginHost(args.executable, cache_dir=out / "cache", stderr_path=out / "plugin.log")
    to_ms = int(summary.end.timestamp() * 1000)
    from_ms = int((summary.end - timedelta(hours=args.hours)).timestamp() * 1000)
    with host:
        health = host.check_health(context)
        _section("Save & test")
        print(f"{pb.CheckHealthResponse.HealthStatus.Name(health.status)}: {health.message}")
        run = Run(host, context, from_ms, to_ms)
        values = resolve_variables(run, args.dashboard, summary)
        images = [run_panel(run, panel, values, out) for panel in load_dashboard(args.dashboard).panels]
        firing = run_alert(run, args.alert)
    _section("result")
    print(f"alert fires for: {', '.join(firing) or 'nothing'}")
    for image in images:
        print(f"wrote {image} ({image.stat().st_size} bytes)")
    print(f"output folder: {out}")
    if args.grafana_bin:
        from cloudsql_cos_ts.cli.grafana import GrafanaSetup, serve_grafana

        plugin_dir = Path(args.executable[0]).resolve().parent
        setup = GrafanaSetup(args.grafana_bin, args.grafana_home, plugin_dir, data, out / "grafana", args.alert)
        return serve_grafana(setup, minutes=args.grafana_minutes)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="main_job", description="Run the bundled dashboard through the real plugin over sample flow logs."
    )
    parser.add_argument("--out", type=Path, required=True, help="output folder (flow logs, PNGs, plugin log)")
    parser.add_argument("--executable", nargs="+", required=True, help="the plugin executable (and its arguments)")
    parser.add_argument("--dashboard", type=Path, required=True, help="the bundled dashboard JSON")
    parser.add_argument("--alert", type=Path, required=True, help="the bundled alert rule YAML")
    parser.add_argument("--vnics", type=int, default=4, help="vNICs in the sample data (default 4)")
    parser.add_argument("--hours", type=float, default=6.0, help="hours of sample data, ending now (default 6)")
    parser.add_argument("--records-per-object", type=int, default=40, help="average records per object")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--grafana-bin", type=Path, help="a Grafana server binary (GRAFANA_BIN): start it at the end")
    parser.add_argument(
        "--grafana-home", type=Path, help="Grafana's home folder (GRAFANA_HOME, holds conf/ and public/)"
    )
    parser.add_argument("--grafana-minutes", type=float, default=30.0, help="how long Grafana keeps running")
    return parser


if __name__ == "__main__":
    sys.exit(main())
