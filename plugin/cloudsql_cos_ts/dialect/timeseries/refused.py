"""Why a function of IBM's time-series reference is answered with a 400 instead of a result.

Some functions cannot be reproduced honestly: IBM never described the algorithm, or left a detail open
that no documented source settles. They are refused with the reason rather than approximated silently.
The others not lowered yet are refused as such; ``docs/time-series-functions.md`` lists every function and its state.
"""

from __future__ import annotations

_MODEL = (
    "IBM never described the forecasting algorithms behind its models (model selection, parameter "
    "search, seasonality detection), so no lowering could give IBM's results"
)
CANNOT_REPRODUCE = {
    "TS_FORECAST": _MODEL,
    "TS_DETECT_ANOMALIES": _MODEL,
    **{f"TS_FORECAST_{model}": _MODEL for model in ("AUTO", "ARIMA", "ARMA", "BATS", "HWS", "LINEAR", "AVERAGE")},
    "TS_GRANGER": "IBM never documented the regression behind its Granger test or which model its R² belongs to",
    "TS_INTERPOLATOR_SPLINE": "IBM never documented which spline it fits",
    "TS_FIND": "IBM documented no result for it (it appears only in the grammar)",
    "TS_WITH_TRS": "IBM's own example contradicts the documented re-mapping of ticks",
}


def refusal(name: str) -> str:
    """The 400 message for a time-series name the lowering left in the query."""
    if name in CANNOT_REPRODUCE:
        return f"{name} is not supported: {CANNOT_REPRODUCE[name]} (docs/time-series-functions.md)"
    return (
        f"{name} is not supported here, or not in this position; docs/time-series-functions.md lists the "
        "supported time-series functions and how to write them"
    )
