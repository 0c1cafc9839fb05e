"""The measures built on correlation and on the Fourier transform, as SQL over value arrays
(``arrays.py``); ``warping.py`` lowers the calls. The choices where IBM left details open:

* ``TS_CROSS_CORRELATION(a, b)`` — the sibling library's formula (its example ``[1,2,3]``, ``[2,3,4]``
  gives ``[-0.5, 0, 1, 0, -0.5]``): with ``ca``, ``cb`` the values centred on their means, the full
  cross-correlation over ``len(a) + len(b) - 1`` shifts divided by ``sqrt(Σca²·Σcb²)``; element ``k``
  (from 0) is ``Σ ca[i + k - (len(b) - 1)]·cb[i]``, numpy's ``correlate(a, b, "full")`` order (IBM's
  example is symmetric, so the direction is a choice); NULL for a constant series.
* ``TS_AUTO_CORRELATION(ts)`` — lags ``0 … n-1`` of the mean-removed values, each divided by the lag-0
  sum (statsmodels' ``acf`` without adjustment): the non-negative half of the cross-correlation of the
  series with itself, so one formula serves both.
* ``TS_SBD(a, b)`` — k-Shape's shape-based distance, ``1 - max`` of the cross-correlation above.
  k-Shape z-normalises first; dividing by ``sqrt(Σca²·Σcb²)`` after centring gives exactly the values
  z-normalised series would, so the two readings agree.
* ``TS_FFT(ts, dir)`` — the discrete Fourier transform in numpy's layout: no padding, forward
  unscaled with ``e^(-2πikt/n)``, inverse scaled by ``1/n`` with ``e^(+2πikt/n)``. IBM's result is a
  double array, so the ``n`` complex values are interleaved ``[re0, im0, re1, im1, …]``. Computed as a
  plain O(n²) sum, so NULL above ``MAX_CELLS`` ``n²`` steps (2,000 values).
"""

from __future__ import annotations

from sqlglot import exp

from cloudsql_cos_ts.dialect.timeseries import arrays
from cloudsql_cos_ts.errors import BadRequest

_DIRECTIONS = {"forward": False, "f": False, "inverse": True, "i": True}


def cross_correlation(a: str, b: str, first_shift: str = "0") -> str:
    """The normalised full cross-correlation of the arrays ``a`` and ``b`` (an array of doubles), from
    shift ``first_shift`` on (0 is the full array). The centred arrays and the norm are computed once
    (``arrays.let``), not per element."""
    norm = f"sqrt({arrays.total('ca_', 'x * x')} * {arrays.total('cb_', 'x * x')})"
    index = f"i + k - (size({b}) - 1)"
    term = f"CASE WHEN {index} BETWEEN 1 AND size({a}) THEN element_at(ca_, {index}) * element_at(cb_, i) ELSE 0 END"
    shift = f"aggregate(sequence(1, size({b})), CAST(0 AS DOUBLE), (total, i) -> total + {term}) / norm_"
    shifts = f"transform(sequence({first_shift}, size({a}) + size({b}) - 2), k -> {shift})"
    normalised = arrays.let("norm_", norm, f"CASE WHEN norm_ = 0 THEN NULL ELSE {shifts} END")
    centred = arrays.let("ca_", arrays.centred(a), arrays.let("cb_", arrays.centred(b), normalised))
    return f"CASE WHEN size({a}) = 0 OR size({b}) = 0 OR {arrays.too_big(a, b)} THEN NULL ELSE {centred} END"


def auto_correlation(a: str) -> str:
    """Lags 0 … n-1 of the array ``a``: the cross-correlation with itself from the zero shift on."""
    return cross_correlation(a, a, first_shift=f"size({a}) - 1")


def shape_based_distance(a: str, b: str) -> str:
    """k-Shape's distance: 1 - the largest normalised cross-correlation."""
    return f"1 - array_max({cross_correlation(a, b)})"


def _inverse(direction: exp.Expr) -> bool:
    text = direction.name.lower() if isinstance(direction, exp.Literal) and direction.is_string else ""
    if text not in _DIRECTIONS:
        raise BadRequest("TS_FFT's direction must be 'forward' ('f') or 'inverse' ('i')")
    return _DIRECTIONS[text]


def fourier(a: str, direction: exp.Expr) -> str:
    """The DFT of the array ``a`` as interleaved real and imaginary parts (numpy's scaling)."""
    inverse = _inverse(direction)
    scale = f" / size({a})" if inverse else ""
    angle = f"2 * pi() * k * (t - 1) / size({a})"

    def part(wave: str) -> str:
        return (
            f"aggregate(sequence(1, size({a})), CAST(0 AS DOUBLE), (s, t) -> s + element_at({a}, t) * {wave}({angle}))"
        )

    real, imaginary = part("cos") + scale, ("" if inverse else "-") + part("sin") + scale
    return (
        f"CASE WHEN size({a}) = 0 OR {arrays.too_big(a, a)} THEN NULL "
        f"ELSE flatten(transform(sequence(0, size({a}) - 1), k -> array({real}, {imaginary}))) END"
    )
