"""Order the queries of one request by their ``$__source_prev(RefId)`` dependencies.

Queries of a panel can chain: ``B`` reads ``A``'s result. The request is a graph; queries run in
waves, each wave holding every query whose inputs are ready, so independent queries run together.
A reference to a refId that is not in the request, or a cycle, makes the queries involved fail
with a 400 naming the refIds, while unrelated queries still run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from cloudsql_cos_ts.errors import BadRequest


@dataclass
class Plan:
    waves: list[list[str]] = field(default_factory=list)
    failures: dict[str, BadRequest] = field(default_factory=dict)


def plan_waves(dependencies: Mapping[str, tuple[str, ...]]) -> Plan:
    """Waves of refIds to run in order, and the refIds that cannot run with the reason."""
    plan = Plan()
    for ref, deps in dependencies.items():
        missing = [d for d in deps if d not in dependencies]
        if ref in deps:
            plan.failures[ref] = BadRequest(f"query {ref} reads its own result through $__source_prev({ref})")
        elif missing:
            plan.failures[ref] = BadRequest(
                f"query {ref} reads $__source_prev({missing[0]}), but this request has no query {missing[0]}; "
                f"queries here: {', '.join(sorted(dependencies))}"
            )
    done: set[str] = set()
    pending = {ref for ref in dependencies if ref not in plan.failures}
    while pending:
        _fail_dependents_of_failures(dependencies, pending, plan)
        ready = sorted(ref for ref in pending if all(d in done for d in dependencies[ref]))
        if not ready:
            cycle = sorted(pending)
            for ref in cycle:
                plan.failures[ref] = BadRequest(
                    f"queries {', '.join(cycle)} read each other through $__source_prev in a cycle; "
                    "a chain must start with a query that reads no earlier result"
                )
            break
        plan.waves.append(ready)
        done.update(ready)
        pending.difference_update(ready)
    return plan


def _fail_dependents_of_failures(dependencies: Mapping[str, tuple[str, ...]], pending: set[str], plan: Plan) -> None:
    changed = True
    while changed:
        changed = False
        for ref in sorted(pending):
            failed = next((d for d in dependencies[ref] if d in plan.failures), None)
            if failed is not None:
                plan.failures[ref] = BadRequest(f"query {ref} reads $__source_prev({failed}), which failed")
                pending.discard(ref)
                changed = True
