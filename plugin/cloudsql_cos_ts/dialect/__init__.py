"""IBM SQL Query's dialect (Spark SQL + IBM extensions) translated to an engine's SQL.

Public API::

    translate(sql: str, *, dialect: str) -> Translation   # dialect: "duckdb" (now) or "spark"
    Translation(sql, referenced, external)                # see model.py
    ExternalRef(url, format, relation)
    Schemas                                               # relation -> typed columns (coercion.py)

``translate`` parses the (macro-expanded) SQL as Spark SQL with sqlglot and writes it in the
target dialect: double-quoted strings stay strings, back-quoted names stay identifiers, Spark
functions are mapped (with fixes where sqlglot's mapping changes the meaning, ``functions.py``).
IBM-only syntax is supported: ``cos://… STORED AS fmt`` table references (``Translation.external``),
``INTO cos://… [JOBPREFIX …] STORED AS fmt [PARTITIONED …]`` (``Translation.target``, written by the plugin),
``DESCRIBE(x)`` as a table with columns ``name, type, nullable``, ``USING TIME_SERIES_FORMAT`` and
the ``TS_*`` functions (lowered to plain SQL, ``timeseries.py``).

Only one read-only statement is accepted (``readonly.py``). ``Translation.referenced`` lists the
UPPER-cased relation names the statement reads (CTE names excluded); the engine must refuse any
that it has not registered. Every failure is a :class:`~cloudsql_cos_ts.errors.BadRequest`.
"""

from cloudsql_cos_ts.dialect.coercion import Schemas
from cloudsql_cos_ts.dialect.model import ExternalRef, Translation
from cloudsql_cos_ts.dialect.translate import translate

__all__ = ["ExternalRef", "Schemas", "Translation", "translate"]
