"""Grafana's time-range syntax for ``--from``/``--to``: ``now``, ``now-6h``, ``now-1d/d``, RFC 3339, epoch ms.

Relative times are ``now`` followed by any number of ``±<n><unit>`` steps and at most one final
``/<unit>`` rounding; units are ``s m h d w M y``. As in Grafana, rounding floors a ``from`` time to
the start of the unit and moves a ``to`` time to the end of it (``now-1d/d`` .. ``now-1d/d`` is
all of yesterday). Calendar arithmetic is in UTC.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime, timedelta

_STEP = re.compile(r"([+-])(\d+)([smhdwMy])")
_RELATIVE = re.compile(r"^now((?:[+-]\d+[smhdwMy])*)(?:/([smhdwMy]))?$")
_FIXED = {
    "s": timedelta(seconds=1),
    "m": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
    "w": timedelta(weeks=1),
}


class TimeSyntaxError(ValueError):
    pass


def parse_time(text: str, *, now: datetime, is_end: bool) -> datetime:
    value = text.strip()
    relative = _RELATIVE.match(value)
    if relative:
        moment = now.astimezone(UTC)
        for sign, amount, unit in _STEP.findall(relative.group(1)):
            moment = _shift(moment, int(amount) * (1 if sign == "+" else -1), unit)
        return _round(moment, relative.group(2), is_end) if relative.group(2) else moment
    if value.isdigit():
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise TimeSyntaxError(
            f"{text!r} is not a time: use now, now-6h, now-1d/d, an RFC 3339 time or epoch milliseconds"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _shift(moment: datetime, amount: int, unit: str) -> datetime:
    if unit in _FIXED:
        return moment + amount * _FIXED[unit]
    months = moment.year * 12 + moment.month - 1 + (amount if unit == "M" else 12 * amount)
    year, month = divmod(months, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def _round(moment: datetime, unit: str, is_end: bool) -> datetime:
    start = {
        "s": moment.replace(microsecond=0),
        "m": moment.replace(second=0, microsecond=0),
        "h": moment.replace(minute=0, second=0, microsecond=0),
        "d": moment.replace(hour=0, minute=0, second=0, microsecond=0),
        "w": (moment - timedelta(days=moment.weekday())).replace(hour=0, minute=0, second=0, microsecond=0),
        "M": moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0),
        "y": moment.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0),
    }[unit]
    if not is_end:
        return start
    return _shift(start, 1, unit) - timedelta(milliseconds=1)
