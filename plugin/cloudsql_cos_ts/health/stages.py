"""Run health stages in order, each bounded in time, and report each one.

The first failing stage ends the walk and names what to do; later stages are reported as skipped
so the details always list the whole path. ``jsonDetails`` must be a JSON object for Grafana, so
the report is ``{"stages": [{name, status, ms, detail}]}``.

Each stage runs on its own daemon thread and is waited for at most its own timeout (and never past
the whole check's budget): a hung endpoint holds a thread that finishes on its own later, but never
holds "Save & test".
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Literal

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.errors import DownstreamTimeout, PluginError
from cloudsql_cos_ts.log import log

StageStatus = Literal["ok", "warning", "error", "skipped"]
DEFAULT_STAGE_TIMEOUT_S = 5.0


@dataclass
class StageReport:
    name: str
    status: StageStatus
    ms: float
    detail: str


class StageWarning(Exception):
    """A stage passed with a caveat the user should read (e.g. no flow logs found yet)."""


def _nothing_named() -> str:
    return ""


@dataclass(frozen=True)
class Stage:
    name: str
    run: Callable[[], str]  # returns the success detail; raises PluginError / StageWarning
    timeout_s: float = DEFAULT_STAGE_TIMEOUT_S
    on_timeout: str = "check that the plugin's machine can reach it"  # what to do when the stage hangs
    waits_on: Callable[[], str] = _nothing_named  # what a hung stage waits for, e.g. "the COS endpoint …"


@dataclass
class HealthReport:
    ok: bool
    message: str
    stages: list[StageReport]

    def details_json(self) -> bytes:
        return json.dumps({"stages": [asdict(s) for s in self.stages]}).encode()


@dataclass
class _Outcome:
    detail: str = ""
    error: BaseException | None = None


def _run_bounded(stage: Stage, budget: CancelToken) -> str:
    """The stage's detail; raises what the stage raised, or ``DownstreamTimeout`` when it overran."""
    remaining = budget.remaining()
    limit = stage.timeout_s if remaining is None else min(stage.timeout_s, remaining)
    if limit <= 0:
        raise DownstreamTimeout("not run: the health check's time budget is used up")
    outcome = _Outcome()

    def target() -> None:
        try:
            outcome.detail = stage.run()
        except BaseException as exc:  # handed to the caller's thread
            outcome.error = exc

    worker = threading.Thread(target=target, name=f"health-{stage.name}", daemon=True)
    worker.start()
    worker.join(limit)
    if worker.is_alive():
        waited_for = stage.waits_on()
        source = f" from {waited_for}" if waited_for else ""
        raise DownstreamTimeout(f"no answer within {limit:.1f} s{source}: {stage.on_timeout}")
    if outcome.error is not None:
        raise outcome.error
    return outcome.detail


def run_stages(stages: Sequence[Stage], budget: CancelToken | None = None) -> HealthReport:
    budget = budget or CancelToken()
    reports: list[StageReport] = []
    warnings: list[str] = []
    for index, stage in enumerate(stages):
        started = time.monotonic()
        try:
            detail = _run_bounded(stage, budget)
            status: StageStatus = "ok"
        except StageWarning as exc:
            detail, status = str(exc), "warning"
            warnings.append(f"{stage.name}: {detail}")
        except Exception as exc:  # one broken stage must still produce a report naming it
            message = exc.message if isinstance(exc, PluginError) else _internal(stage.name, exc)
            reports.append(StageReport(stage.name, "error", _ms_since(started), message))
            reports += [
                StageReport(s.name, "skipped", 0.0, f"not run: {stage.name} failed") for s in stages[index + 1 :]
            ]
            return HealthReport(False, f"{stage.name} failed: {message}", reports)
        reports.append(StageReport(stage.name, status, _ms_since(started), detail))
    summary = "; ".join(f"{r.name}: {r.detail}" for r in reports if r.status == "ok")
    message = "Data source is working" + (f" ({summary})" if summary else "")
    if warnings:
        message += ". Warnings: " + "; ".join(warnings)
    return HealthReport(True, message, reports)


def _ms_since(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)


def _internal(stage: str, exc: Exception) -> str:
    log.error("health stage failed with an internal error", stage=stage, error=f"{type(exc).__name__}: {exc}")
    return "internal error in the plugin (the Grafana server log has the details)"
