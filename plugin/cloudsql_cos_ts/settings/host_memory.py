"""How much memory this process may use: the container's cgroup limit, else the machine's RAM.

Why one place: the defaults that must fit a Grafana container (the answers' budget, DuckDB's
``memoryLimit``) are fractions of it, and inside a container the machine's RAM is not the limit
the kernel enforces (cgroup v2's ``memory.max``).
"""

from __future__ import annotations

import os

CGROUP_LIMIT = "/sys/fs/cgroup/memory.max"


def available_bytes() -> int:
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    try:
        with open(CGROUP_LIMIT) as handle:
            text = handle.read().strip()
    except OSError:
        return int(physical)
    return min(int(text), physical) if text.isdigit() else int(physical)
