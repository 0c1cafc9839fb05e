"""Grafana-style interval texts (``500ms``, ``30s``, ``5m``, ``1h``, ``1d``, ``1w``, ``1y``) <-> milliseconds.

``$__interval`` expands to this text form (as Grafana's front end renders it) and ``$__timeGroup``
accepts it, quoted or not. A bare number is taken as milliseconds, so ``$__interval_ms`` works as
a ``$__timeGroup`` interval too.
"""

from __future__ import annotations

import re

from cloudsql_cos_ts.errors import BadRequest

_UNIT_MS = {
    "ms": 1,
    "s": 1_000,
    "m": 60_000,
    "h": 3_600_000,
    "d": 86_400_000,
    "w": 604_800_000,
    "y": 31_536_000_000,
}
_INTERVAL = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w|y)?")


def parse_interval_ms(text: str, *, where: str) -> int:
    """Milliseconds of an interval text; ``where`` names the macro argument for the error message."""
    bare = text.strip().strip("'\"").strip()
    match = _INTERVAL.fullmatch(bare)
    if not match:
        raise BadRequest(f"{where}: {text!r} is not an interval; write e.g. '5m', 1h, 30s, 500ms or $__interval")
    amount, unit = match.groups()
    milliseconds = round(float(amount) * _UNIT_MS[unit or "ms"])
    if milliseconds <= 0:
        raise BadRequest(f"{where}: the interval must be longer than 0 ms")
    return milliseconds


def format_interval(milliseconds: int) -> str:
    """The largest whole unit: 3600000 -> ``1h``, 90000 -> ``90s``, 1500 -> ``1500ms``."""
    for unit in ("d", "h", "m", "s"):
        size = _UNIT_MS[unit]
        if milliseconds >= size and milliseconds % size == 0:
            return f"{milliseconds // size}{unit}"
    return f"{milliseconds}ms"
