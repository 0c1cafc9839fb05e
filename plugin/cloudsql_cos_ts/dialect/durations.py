"""IBM's human-readable window sizes for ``TS_SEGMENT_BY_TIME`` (``human_form_to_machine_form``).

IBM's client rewrote the window and step of ``TS_SEGMENT_BY_TIME(ts, window, step)`` from human
units to milliseconds before submitting; users' queries rely on it. Accepted forms (any case,
optionally quoted): a number of milliseconds; ``hour`` / ``per_hour``, ``day`` / ``per_day``,
``week`` / ``per_week``; ``<n>minute``, ``<n>hour``, ``<n>day`` (IBM limited ``<n>minute`` to
divisors of 60 — we accept any n); ISO 8601 durations ``PT15M``, ``PT1H``, ``PT30S``, ``P1D``,
``P1W``, ``P1DT12H``.
"""

from __future__ import annotations

import re

_SECOND, _MINUTE, _HOUR, _DAY, _WEEK = 1_000, 60_000, 3_600_000, 86_400_000, 604_800_000
_NAMED = {"hour": _HOUR, "day": _DAY, "week": _WEEK}
_COUNTED = re.compile(r"(\d+)\s*(minute|hour|day)")
_COUNTED_MS = {"minute": _MINUTE, "hour": _HOUR, "day": _DAY}
_ISO = re.compile(r"P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?")


def _iso_ms(text: str) -> int | None:
    match = _ISO.fullmatch(text.upper())
    if not match or not any(match.groups()) or text.upper().endswith("T"):
        return None
    weeks, days, hours, minutes, seconds = match.groups()
    total = (
        int(weeks or 0) * _WEEK
        + int(days or 0) * _DAY
        + int(hours or 0) * _HOUR
        + int(minutes or 0) * _MINUTE
        + round(float(seconds or 0) * _SECOND)
    )
    return total


def duration_ms(text: str) -> int | None:
    """Milliseconds of a window/step argument, or ``None`` if it is not one of the accepted forms."""
    bare = text.strip().strip("'\"").strip()
    lower = bare.lower()
    if bare.isdigit():
        return int(bare)
    if lower.removeprefix("per_") in _NAMED:
        return _NAMED[lower.removeprefix("per_")]
    counted = _COUNTED.fullmatch(lower)
    if counted:
        return int(counted.group(1)) * _COUNTED_MS[counted.group(2)]
    return _iso_ms(bare)
