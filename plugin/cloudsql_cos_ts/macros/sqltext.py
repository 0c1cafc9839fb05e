"""Small helpers that write Spark-dialect SQL text for macro expansions.

Expansions are Spark SQL (the dialect users write) that sqlglot then translates; they must mean the
same after translation to DuckDB and to Spark. Time literals are therefore written as
``to_timestamp('<RFC 3339 with Z>')``: Spark reads the ``Z`` as UTC whatever its session time zone,
and DuckDB casts the text to a TIMESTAMP holding UTC wall time, which is how the plugin's DuckDB
engine stores times (session time zone UTC).
"""

from __future__ import annotations

import re

from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.macros.model import MacroCall
from cloudsql_cos_ts.timerange import moment

_PLAIN_NAME = re.compile(r"[A-Za-z_]\w*")


def quote_name(name: str) -> str:
    """A column or relation name as a Spark identifier (back-quoted unless plain)."""
    if _PLAIN_NAME.fullmatch(name):
        return name
    return "`" + name.replace("`", "``") + "`"


def bare_column_name(expression: str) -> str:
    """The column name an argument refers to (``t.`start_time``` -> ``start_time``), for type lookups."""
    last = expression.strip().split(".")[-1].strip()
    if len(last) >= 2 and last[0] == last[-1] and last[0] in '`"':
        return last[1:-1].replace(last[0] * 2, last[0])
    return last


def rfc3339(epoch_ms: int) -> str:
    """``2024-05-06T10:00:00.000Z`` for an epoch-milliseconds instant."""
    at = moment(epoch_ms)  # the year padded by hand: strftime's %Y writes the year 1 as "1"
    return f"{at.year:04d}-" + at.strftime("%m-%dT%H:%M:%S.") + f"{epoch_ms % 1000:03d}Z"


def timestamp_literal(epoch_ms: int) -> str:
    return f"to_timestamp('{rfc3339(epoch_ms)}')"


def arguments(call: MacroCall, minimum: int, maximum: int, usage: str) -> tuple[str, ...]:
    """The call's arguments after checking their number; a missing list counts as ``()``."""
    args = call.args or ()
    if not minimum <= len(args) <= maximum or any(not arg for arg in args[:minimum]):
        raise BadRequest(f"{call.describe()}: wrong arguments; use {usage}")
    return args
