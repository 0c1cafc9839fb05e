"""Run health stages in order and report each one.

The first failing stage ends the walk and names what to do; later stages are reported as skipped
so the details always list the whole path. ``jsonDetails`` must be a JSON object for Grafana, so
the report is ``{"stages": [{name, status, ms, detail}]}``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Literal

from cloudsql_cos_ts.errors import PluginError
from cloudsql_cos_ts.server.logging import log

StageStatus = Literal["ok", "warning", "error", "skipped"]


@dataclass
class StageReport:
    name: str
    status: StageStatus
    ms: float
    detail: str


class StageWarning(Exception):
    """A stage passed with a caveat the user should read (e.g. no flow logs found yet)."""


@dataclass(frozen=True)
class Stage:
    name: str
    run: Callable[[], str]  # returns the success detail; raises PluginError / StageWarning


@dataclass
class HealthReport:
    ok: bool
    message: str
    stages: list[StageReport]

    def details_json(self) -> bytes:
        return json.dumps({"stages": [asdict(s) for s in self.stages]}).encode()


def run_stages(stages: Sequence[Stage]) -> HealthReport:
    reports: list[StageReport] = []
    warnings: list[str] = []
    for index, stage in enumerate(stages):
        started = time.monotonic()
        try:
            detail = stage.run()
            status: StageStatus = "ok"
        except StageWarning as exc:
            detail, status = str(exc), "warning"
            warnings.append(f"{stage.name}: {detail}")
        except Exception as exc:  # one broken stage must still produce a report naming it
            message = exc.message if isinstance(exc, PluginError) else _internal(stage.name, exc)
            ms = round((time.monotonic() - started) * 1000, 1)
            reports.append(StageReport(stage.name, "error", ms, message))
            reports += [
                StageReport(s.name, "skipped", 0.0, f"not run: {stage.name} failed") for s in stages[index + 1 :]
            ]
            return HealthReport(False, f"{stage.name} failed: {message}", reports)
        reports.append(StageReport(stage.name, status, round((time.monotonic() - started) * 1000, 1), detail))
    summary = "; ".join(f"{r.name}: {r.detail}" for r in reports if r.status == "ok")
    message = "Data source is working" + (f" ({summary})" if summary else "")
    if warnings:
        message += ". Warnings: " + "; ".join(warnings)
    return HealthReport(True, message, reports)


def _internal(stage: str, exc: Exception) -> str:
    log.error("health stage failed with an internal error", stage=stage, error=f"{type(exc).__name__}: {exc}")
    return "internal error in the plugin (the Grafana server log has the details)"
