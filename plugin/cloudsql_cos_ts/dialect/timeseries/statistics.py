"""The statistics behind IBM's reducers, as aggregates both engines compute alike.

Used per segment (``TS_SEG_*``) and per whole series (``TS_AVG`` …). NULL values are skipped by
every statistic but COUNT, which counts observations. SD is the sample standard deviation
(``stddev_samp``: NULL for one value). IBM names the estimator of skewness and kurtosis nowhere; the
sample-corrected ones of Java's usual statistics library are used: skewness
``G1 = g1·√(n(n-1))/(n-2)`` and excess kurtosis ``G2 = ((n+1)·g2 + 6)·(n-1)/((n-2)(n-3))`` from the
central moments (``g1 = m3/m2^1.5``, ``g2 = m4/m2² - 3``); NULL below 3 (4) values or for constant
values. The engines' own ``skewness``/``kurtosis`` differ from each other (Spark: population, DuckDB:
sample), so the moments are summed here, from values centred on their series' mean (``deviation``),
which keeps the power sums exact enough for large values such as byte counts.
"""

from __future__ import annotations

SIMPLE = {
    "COUNT": "count(*)",
    "SUM": "sum({v})",
    "AVG": "avg({v})",
    "MIN": "min({v})",
    "MAX": "max({v})",
    "SD": "stddev_samp({v})",
}
MOMENTS = ("SKEWNESS", "KURTOSIS")
NAMES = (*SIMPLE, *MOMENTS)


def needs_deviation(name: str) -> bool:
    return name in MOMENTS


def _moments(d: str) -> tuple[str, str, str, str, str]:
    """n, m2, m3, m4 (central moments) and the NULL-guard for constant values, of deviations ``d``."""
    n = f"count({d})"
    s2, s3, s4 = (f"sum(power({d}, {k}))" for k in (2, 3, 4))
    mean = f"(sum({d}) / {n})"
    m2 = f"({s2} / {n} - power({mean}, 2))"
    m3 = f"({s3} / {n} - 3 * {mean} * {s2} / {n} + 2 * power({mean}, 3))"
    m4 = f"({s4} / {n} - 4 * {mean} * {s3} / {n} + 6 * power({mean}, 2) * {s2} / {n} - 3 * power({mean}, 4))"
    varies = f"{m2} > 1e-12 * {s2} / {n}"
    return n, m2, m3, m4, varies


def statistic(name: str, value: str, deviation: str = "") -> str:
    """The aggregate SQL of statistic ``name`` (one of ``NAMES``), as a DOUBLE."""
    if name in SIMPLE:
        return f"CAST({SIMPLE[name].format(v=value)} AS DOUBLE)"
    n, m2, m3, m4, varies = _moments(deviation)
    if name == "SKEWNESS":
        formula = f"{m3} / power({m2}, 1.5) * sqrt({n} * ({n} - 1)) / ({n} - 2)"
        return f"CAST(CASE WHEN {n} > 2 AND {varies} THEN {formula} END AS DOUBLE)"
    formula = f"(({n} + 1) * ({m4} / power({m2}, 2) - 3) + 6) * ({n} - 1) / (({n} - 2) * ({n} - 3))"
    return f"CAST(CASE WHEN {n} > 3 AND {varies} THEN {formula} END AS DOUBLE)"
