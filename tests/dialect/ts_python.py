"""Plain-Python reference implementations of IBM's time-series functions, with the plugin's documented choices.

A series is a list of ``(tick, value)`` with ``value`` ``None`` for NULL, in the lowering's order:
by tick, equal ticks by value with NULL last. Each function is written from the semantics in
``docs/time-series-functions.md``, independently of the SQL, so the tests compare two derivations.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable
from itertools import groupby, pairwise
from typing import Any

Value = float | None
Point = tuple[int, Value]
Series = list[Point]


def ordered(points: Iterable[Point]) -> Series:
    return sorted(points, key=lambda p: (p[0], p[1] is None, p[1] or 0.0))


def _present(values: Iterable[Value]) -> list[float]:
    return [v for v in values if v is not None]


# ---- statistics -------------------------------------------------------------------------------


def count(values: list[Value]) -> float:
    return float(len(values))


def total(values: list[Value]) -> Value:
    present = _present(values)
    return math.fsum(present) if present else None


def mean(values: list[Value]) -> Value:
    present = _present(values)
    return math.fsum(present) / len(present) if present else None


def smallest(values: list[Value]) -> Value:
    present = _present(values)
    return min(present) if present else None


def largest(values: list[Value]) -> Value:
    present = _present(values)
    return max(present) if present else None


def sd(values: list[Value]) -> Value:
    present = _present(values)
    return float(statistics.stdev(present)) if len(present) > 1 else None


def _central(present: list[float], power: int) -> float:
    centre = math.fsum(present) / len(present)
    return math.fsum((x - centre) ** power for x in present) / len(present)


def skewness(values: list[Value]) -> Value:
    """Sample-corrected G1."""
    x = _present(values)
    n = len(x)
    if n <= 2 or _central(x, 2) <= 1e-12 * math.fsum(v * v for v in x) / n:
        return None
    g1: float = _central(x, 3) / _central(x, 2) ** 1.5
    return g1 * math.sqrt(n * (n - 1)) / (n - 2)


def kurtosis(values: list[Value]) -> Value:
    """Sample-corrected excess kurtosis G2."""
    x = _present(values)
    n = len(x)
    if n <= 3 or _central(x, 2) <= 1e-12 * math.fsum(v * v for v in x) / n:
        return None
    g2 = _central(x, 4) / _central(x, 2) ** 2 - 3
    return ((n + 1) * g2 + 6) * (n - 1) / ((n - 2) * (n - 3))


STATISTICS: dict[str, Callable[[list[Value]], Value]] = {
    "COUNT": count,
    "SUM": total,
    "AVG": mean,
    "MIN": smallest,
    "MAX": largest,
    "SD": sd,
    "SKEWNESS": skewness,
    "KURTOSIS": kurtosis,
}

# ---- transforms -------------------------------------------------------------------------------


def diff(series: Series) -> Series:
    return [(t, None if v is None or p is None else v - p) for (_, p), (t, v) in pairwise(series)]


def zscore(series: Series, centre: float, spread: float) -> Series:
    return [(t, None if v is None or spread == 0 else (v - centre) / spread) for t, v in series]


def sliced(series: Series, start: int, end: int) -> Series:
    return [(t, v) for t, v in series if start <= t <= end]


def dropna(series: Series) -> Series:
    return [(t, v) for t, v in series if v is not None]


def extremes(series: Series, sign: int) -> Series:
    found = []
    for (_, p), (t, v), (_, n) in zip(series, series[1:], series[2:], strict=False):
        if None not in (p, v, n) and sign * (v - p) > 0 and sign * (v - n) > 0:  # type: ignore[operator]
            found.append((t, v))
    return found


def remove_consecutive_duplicates(series: Series) -> Series:
    return [point for i, point in enumerate(series) if i == 0 or point[1] != series[i - 1][1]]


def combine(series: Series, how: str) -> Series:
    combined = []
    for tick, group in groupby(series, key=lambda p: p[0]):
        values = [v for _, v in group]
        present = _present(values)
        result: Value
        if how == "FIRST":
            result = values[0]
        elif how == "LAST":
            result = values[-1]
        elif how == "MUL":
            result = math.prod(present) if present else None
        else:
            result = {"ADD": total, "MIN": smallest, "MAX": largest, "AVG": mean}[how](values)
        combined.append((tick, result))
    return combined


# ---- interpolators ----------------------------------------------------------------------------


def _line(points: list[Point], target: int, default: float) -> Value:
    if any(v is None for _, v in points):
        return default
    xs = [float(t - target) for t, _ in points]
    ys = [v for _, v in points if v is not None]
    n = len(points)
    denominator = n * math.fsum(x * x for x in xs) - math.fsum(xs) ** 2
    if denominator == 0:
        return default
    slope = (n * math.fsum(x * y for x, y in zip(xs, ys, strict=True)) - math.fsum(xs) * math.fsum(ys)) / denominator
    return (math.fsum(ys) - slope * math.fsum(xs)) / n


def interpolate(
    kind: str, default: float, before: list[Point], after: list[Point], *, target: int, n: tuple[int, int]
) -> Value:
    """The value at ``target`` from the observations ``before`` (nearest last) and ``after`` (nearest first)."""
    if kind == "FILL":
        return default
    if kind == "PREV":
        return before[-1][1] if before else default
    if kind == "NEXT":
        return after[0][1] if after else default
    if kind == "NEAREST":
        if not before and not after:
            return default
        if not after or (before and target - before[-1][0] <= after[0][0] - target):
            return before[-1][1]
        return after[0][1]
    previous, following = n
    if len(before) < previous or len(after) < following:
        return default
    return _line(before[len(before) - previous :] + after[:following], target, default)


def fillna(series: Series, kind: str, default: float, n: tuple[int, int] = (1, 1)) -> Series:
    filled: Series = []
    for i, (t, v) in enumerate(series):
        if v is not None:
            filled.append((t, v))
            continue
        before, after = series[:i], series[i + 1 :]
        if kind in ("PREV", "NEXT"):  # fill mode: the nearest neighbour with a value
            before, after = dropna(before), dropna(after)
        filled.append((t, interpolate(kind, default, before, after, target=t, n=n)))
    return filled


def resample(series: Series, period: int, kind: str, default: float, n: tuple[int, int] = (1, 1)) -> Series:
    if not series:
        return []
    out = []
    grid = series[0][0] // period * period
    while grid <= series[-1][0]:
        at = [v for t, v in series if t == grid]
        if at:
            out.append((grid, at[-1]))
        else:
            before = [p for p in series if p[0] < grid]
            after = [p for p in series if p[0] > grid]
            out.append((grid, interpolate(kind, default, before, after, target=grid, n=n)))
        grid += period
    return out


# ---- segments ---------------------------------------------------------------------------------

Segment = tuple[int, Series]  # (segment tick, members)


def by_time(
    series: Series, window: int, step: int, *, empty: bool = True, within: Series | None = None
) -> list[Segment]:
    """The windows ``[k·step, k·step + window)`` from the first to the last one holding an observation,
    the empty ones between included (IBM's); ``empty=False`` keeps only those with members (TS_FLATTEN).
    Sliding windows (``window > step``) run from the step boundary at or below the first tick to the first
    window whose end reaches the last tick — the ticks of ``within`` when given, else of ``series``."""
    segments: dict[int, Series] = {}
    for t, v in series:
        k = t // step
        while k * step + window > t:
            if k * step <= t:
                segments.setdefault(k * step, []).append((t, v))
            k -= 1
    ticks = [t for t, _ in (series if within is None else within)]
    if window > step and ticks:
        first = min(ticks) // step * step
        last = max(first, -((window - 1 - max(ticks)) // step) * step)  # ceil((last tick - window + 1) / step)
        segments = {start: members for start, members in segments.items() if first <= start <= last}
    if empty and segments:
        for start in range(min(segments), max(segments), step):
            segments.setdefault(start, [])
    return sorted(segments.items())


def by_count(series: Series, size: int, step: int) -> list[Segment]:
    return [(series[j][0], series[j : j + size]) for j in range(0, len(series) - size + 1, step)]


def by_silence(series: Series, gap: int) -> list[Segment]:
    segments: list[Segment] = []
    for i, point in enumerate(series):
        if i == 0 or point[0] - series[i - 1][0] > gap:
            segments.append((point[0], []))
        segments[-1][1].append(point)
    return segments


def by_anchor(series: Series, condition: Callable[[Value], bool], before: int, after: int) -> list[Segment]:
    anchors = sorted({t for t, v in series if condition(v)})
    segments = [(a, [(t, v) for t, v in series if a - before <= t <= a + after]) for a in anchors]
    return [(a, members) for a, members in segments if members]


def by_smoothed_silence(series: Series, alpha: float, factor: float, cap: int) -> list[Segment]:
    """A new segment when a gap exceeds min(T·factor, cap); T is the first gap at first (that gap is compared
    with cap alone), then alpha·gap + (1 - alpha)·T after every gap."""
    segments: list[Segment] = []
    smoothed: float | None = None
    for i, point in enumerate(series):
        if i:
            gap = point[0] - series[i - 1][0]
            if gap > (cap if smoothed is None else min(smoothed * factor, cap)):
                segments.append((point[0], []))
            smoothed = gap if smoothed is None else alpha * gap + (1 - alpha) * smoothed
        else:
            segments.append((point[0], []))
        segments[-1][1].append(point)
    return segments


def by_marker(series: Series, marker: Callable[[Value], bool], flags: tuple[bool, bool, bool]) -> list[Segment]:
    """Segment k runs from marker k to marker k + 1 (segment 0 from the start, the last to the end); a
    marker is in the segment it closes when ``prev_inclusive``, in the one it opens when ``next_inclusive``;
    ``requires_start_and_end`` keeps only segments with a marker at both ends."""
    prev_inclusive, next_inclusive, requires_start_and_end = flags
    bounds = [-1, *(i for i, (_, v) in enumerate(series) if marker(v)), len(series)]
    segments: list[Segment] = []
    for k, (low, high) in enumerate(pairwise(bounds)):
        leading, trailing = k == 0, k == len(bounds) - 2
        if requires_start_and_end and (leading or trailing):
            continue
        first = low if next_inclusive and not leading else low + 1
        last = high if prev_inclusive and not trailing else high - 1
        members = series[first : last + 1]
        if members:
            segments.append((members[0][0], members))
    return segments


def by_dual_marker(
    series: Series,
    start: Callable[[Value], bool],
    end: Callable[[Value], bool],
    flags: tuple[bool, bool, bool, bool] = (True, True, False, True),
) -> list[Segment]:
    """The documented state machine: a start marker opens (or, unless start_on_first, moves the start of)
    a segment; an end marker closes it (end_on_first) or is its end so far until the next start marker."""
    start_inclusive, end_inclusive, start_on_first, end_on_first = flags
    segments: list[Segment] = []

    def close(first: int, last: int) -> None:
        members = series[first + (0 if start_inclusive else 1) : last + (1 if end_inclusive else 0)]
        if members:
            segments.append((members[0][0], members))

    opened: int | None = None
    ended: int | None = None
    for i, (_, v) in enumerate(series):
        if start(v):
            if opened is None:
                opened = i
            elif ended is not None:
                close(opened, ended)
                opened, ended = i, None
            elif not start_on_first:
                opened = i
        elif end(v) and opened is not None:
            if end_on_first:
                close(opened, i)
                opened = None
            else:
                ended = i
    if opened is not None and ended is not None:
        close(opened, ended)
    return segments


def reduce_segments(segments: list[Segment], name: str) -> Series:
    """``TS_SEG_<name>``: every reducer at the segment's tick."""
    return [(tick, STATISTICS[name]([v for _, v in members])) for tick, members in segments]


# ---- two series -------------------------------------------------------------------------------

Interpolation = tuple[str, float, tuple[int, int]] | None  # (kind, default, (nPrev, nNext)) or none (inner)
_KEEPS: dict[str, Callable[[int, bool], bool]] = {
    "INNER": lambda side, present: side == 0 and present,
    "LEFT": lambda side, present: side == 0,
    "RIGHT": lambda side, present: side == 1,
    "LEFT_OUTER": lambda side, present: side == 0 and not present,
    "RIGHT_OUTER": lambda side, present: side == 1 and not present,
    "FULL": lambda side, present: side == 0 or not present,
}


def value_at(series: Series, tick: int, how: Interpolation) -> tuple[bool, Value]:
    """Whether ``series`` has an observation at ``tick``, and its value there: the last one at the tick,
    else the interpolated value (None without an interpolator)."""
    at = [v for t, v in series if t == tick]
    if at:
        return True, at[-1]
    if how is None:
        return False, None
    kind, default, n = how
    before, after = [p for p in series if p[0] < tick], [p for p in series if p[0] > tick]
    return False, interpolate(kind, default, before, after, target=tick, n=n)


def join(first: Series, second: Series, keep: str, how: Interpolation) -> list[tuple[int, Value, Value]]:
    """IBM's temporal join or align: (tick, first's value, second's value) rows."""
    rows = []
    for side, (own, other) in enumerate(((first, second), (second, first))):
        for tick, value in own:
            present, at = value_at(other, tick, how)
            if _KEEPS[keep](side, present):
                rows.append((tick, value, at) if side == 0 else (tick, at, value))
    return rows


def ticked_pairs(first: Series, second: Series) -> list[tuple[int, tuple[float, float]]]:
    """The value pairs the pairwise reducers use, with their tick: each observation of ``first`` with
    ``second``'s at its tick, both values present."""
    found = [(t, v, value_at(second, t, None)) for t, v in first]
    return [(t, (v, w)) for t, v, (present, w) in found if present and v is not None and w is not None]


def pairs_at_common_ticks(first: Series, second: Series) -> list[tuple[float, float]]:
    return [pair for _, pair in ticked_pairs(first, second)]


def window_starts(tick: int, window: int, step: int, within: Series) -> list[int]:
    """The starts of the time windows ``[k·step, k·step + window)`` holding ``tick``, among the windows of
    the series ``within``."""
    return [start for start, _ in by_time([(tick, None)], window, step, empty=False, within=within)]


def vector(series: list[Series]) -> list[tuple[int, list[Value]]]:
    """``TS_VECTORN``: each observation of the first series at a tick all others have, with every value."""
    rows = []
    for tick, value in series[0]:
        others = [value_at(other, tick, None) for other in series[1:]]
        if all(present for present, _ in others):
            rows.append((tick, [value, *(at for _, at in others)]))
    return rows


def correlation(pairs: list[tuple[float, float]]) -> Value:
    xs, ys = [x for x, _ in pairs], [y for _, y in pairs]
    if not pairs or max(xs) == min(xs) or max(ys) == min(ys):
        return None
    mx, my = math.fsum(xs) / len(xs), math.fsum(ys) / len(ys)
    sxy = math.fsum((x - mx) * (y - my) for x, y in pairs)
    return sxy / math.sqrt(math.fsum((x - mx) ** 2 for x in xs) * math.fsum((y - my) ** 2 for y in ys))


def manhattan(pairs: list[tuple[float, float]]) -> Value:
    return math.fsum(abs(x - y) for x, y in pairs) if pairs else None


def percentile(values: list[float], q: float) -> Value:
    """Linear interpolation between the two nearest ranks (Spark's ``percentile``)."""
    if not values:
        return None
    ordered_values, position = sorted(values), q * (len(values) - 1)
    below, above = ordered_values[math.floor(position)], ordered_values[math.ceil(position)]
    return below + (position - math.floor(position)) * (above - below)


def describe(series: Series) -> tuple[object, ...]:
    """``TS_DESCRIBE``'s columns, in order."""
    values = [v for _, v in series]
    present = _present(values)
    counts = {value: present.count(value) for value in present}
    most = max(counts.values(), default=0)
    gaps = [b[0] - a[0] for a, b in pairwise(series)]
    return (
        len(series),
        len(counts),
        min((value for value, n in counts.items() if n == most), default=None),
        most,
        series[0][0],
        series[-1][0],
        min(gaps, default=None),
        max(gaps, default=None),
        math.fsum(gaps) / len(gaps) if gaps else None,
        mean(values),
        sd(values),
        smallest(values),
        largest(values),
        *(percentile(present, q) for q in (0.25, 0.5, 0.75)),
    )


def dtw(first: Series, second: Series) -> Value:
    """Dynamic time warping distance, local cost |a - b|, no band, over the values present in series order."""
    a, b = _present(v for _, v in first), _present(v for _, v in second)
    if not a or not b:
        return None
    above = [0.0] + [math.inf] * len(b)
    for x in a:
        row = [math.inf]
        for j, y in enumerate(b, start=1):
            row.append(abs(x - y) + min(above[j - 1], above[j], row[j - 1]))
        above = row
    return above[-1]


def cross_correlation(first: Series, second: Series) -> list[float] | None:
    """numpy's ``correlate(a, b, "full")`` of the centred values present, over sqrt(Σa'²·Σb'²)."""
    a, b = _present(v for _, v in first), _present(v for _, v in second)
    if not a or not b:
        return None
    ca = [x - math.fsum(a) / len(a) for x in a]
    cb = [y - math.fsum(b) / len(b) for y in b]
    norm = math.sqrt(math.fsum(x * x for x in ca) * math.fsum(y * y for y in cb))
    if norm == 0:
        return None
    shift = len(b) - 1
    return [
        math.fsum(ca[i + k - shift] * cb[i] for i in range(len(b)) if 0 <= i + k - shift < len(a)) / norm
        for k in range(len(a) + len(b) - 1)
    ]


def damerau_levenshtein(first: Series, second: Series) -> Value:
    """Optimal-string-alignment distance of the values present (unit costs, adjacent transpositions); an
    empty sequence is at the other's length."""
    a, b = _present(v for _, v in first), _present(v for _, v in second)
    d = [[float(i + j) if i == 0 or j == 0 else 0.0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


def shape_based_distance(first: Series, second: Series) -> Value:
    """k-Shape: 1 - the largest normalised cross-correlation (NULL where that is)."""
    shifts = cross_correlation(first, second)
    return None if shifts is None else 1 - max(shifts)


def auto_correlation(series: Series) -> list[float] | None:
    """statsmodels' unadjusted ``acf`` at lags 0 … n-1 of the values present."""
    x = _present(v for _, v in series)
    c = [v - math.fsum(x) / len(x) for v in x] if x else []
    lag0 = math.fsum(v * v for v in c)
    if lag0 == 0:
        return None
    return [math.fsum(c[t] * c[t + k] for t in range(len(c) - k)) / lag0 for k in range(len(c))]


def fourier(series: Series, *, inverse: bool) -> list[float] | None:
    """numpy's ``fft`` (``ifft`` when ``inverse``) of the values present, interleaved [re0, im0, re1, …]."""
    x = _present(v for _, v in series)
    n = len(x)
    if not n:
        return None
    flat: list[float] = []
    for k in range(n):
        angles = [2 * math.pi * k * t / n for t in range(n)]
        real = math.fsum(v * math.cos(angle) for v, angle in zip(x, angles, strict=True))
        imaginary = math.fsum(v * math.sin(angle) for v, angle in zip(x, angles, strict=True))
        flat += [real / n, imaginary / n] if inverse else [real, -imaginary]
    return flat


def match(series: list[tuple[int, str | None]], matcher: str, threshold: float, pattern: list[str]) -> list[Any]:
    """``TS_MATCH`` with ``TS_MATCHER_<matcher>(threshold)``: the first occurrence in series order (a greedy
    embedding for subsequences and subsets), NULL values left out; no observations when it does not match."""
    kept = [(t, v) for t, v in series if v is not None]
    values = [v for _, v in kept]
    n, m = len(values), len(pattern)
    if matcher == "SEQ":
        return kept if values == pattern else []
    kind, _, ratio = matcher.partition("_")
    taken: list[int] = []
    if kind == "SUBLIST":
        starts = [i for i in range(n - m + 1) if values[i : i + m] == pattern]
        taken = list(range(starts[0], starts[0] + m)) if starts else []
    for i, v in enumerate(values if kind != "SUBLIST" else []):
        if len(taken) == m:
            break
        if v == pattern[len(taken)] if kind == "SUBSEQ" else pattern.count(v) > [values[j] for j in taken].count(v):
            taken.append(i)
    if len(taken) < m:
        return []
    span = taken[-1] - taken[0] + 1
    if {"PS": m / n, "PM": m / span, "MS": span / n}[ratio or "PS"] < threshold:
        return []
    return [kept[i] for i in (range(taken[0], taken[-1] + 1) if ratio == "MS" else taken)]
