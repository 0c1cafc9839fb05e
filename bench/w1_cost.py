"""Wall and CPU seconds of one piece of W1 work.

Other engineers' jobs share the 2 cores, so wall times swing with the load; CPU seconds (of the
plugin process for our pipeline, of this process for in-process raw DuckDB) do not, and CPU / cores
is what the wall time would be on an idle machine with perfect parallelism.
"""

from __future__ import annotations

import os
import resource
import statistics
from dataclasses import dataclass

_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Cost:
    wall: float
    cpu: float

    def __add__(self, other: Cost) -> Cost:
        return Cost(self.wall + other.wall, self.cpu + other.cpu)


ZERO = Cost(0.0, 0.0)


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of another process so far (all its threads)."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime: fields 14 and 15 of proc(5)


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def median(costs: list[Cost]) -> Cost:
    return Cost(statistics.median(c.wall for c in costs), statistics.median(c.cpu for c in costs))
