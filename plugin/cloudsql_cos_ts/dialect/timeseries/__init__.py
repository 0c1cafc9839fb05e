"""IBM SQL Query's time-series library lowered to plain SQL that DuckDB and Spark both run.

No engine implements IBM's series types, so a series stays relational — one row per observation
with hidden tick, value and key columns (``sql.py``) — and each function becomes window functions,
aggregates, ``explode`` and filters over those rows. Modules, by job: ``format.py`` (the series from
``TIME_SERIES_FORMAT``), ``transforms.py`` (series to series), ``interpolators.py``,
``expressions.py`` (``TS_EXP_*``/``TS_ANCHOR_*``), ``segments.py``, ``statistics.py`` (reducers),
``pairs.py`` (two or more series: joins, aligns, ``TS_VECTORN``, pairwise reducers), ``describe.py``,
``warping.py`` (measures of whole value sequences: ``TS_DTW``, ``TS_DL``, …), ``spectral.py`` (their
correlation and Fourier formulas), ``arrays.py`` (the value arrays they share), ``selected.py`` (a
series in the final SELECT), ``lower.py`` (the driver), ``refused.py`` (why the rest is a 400).
``docs/time-series-functions.md`` states the semantics of each function and where IBM left a choice open.
"""

from cloudsql_cos_ts.dialect.timeseries.lower import lower_time_series

__all__ = ["lower_time_series"]
