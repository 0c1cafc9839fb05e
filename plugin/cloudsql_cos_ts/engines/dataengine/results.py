"""A finished job's result, read through the plugin's storage layer (not ibmcloudsql's ``get_result``).

The service writes ``part-*`` objects (plus an empty ``_SUCCESS`` marker) below the job's
``resultset_location`` in its ``resultset_format``. They are listed and read in key order into one
Arrow table, stopping once more than ``row_limit`` rows are in hand. Unlike ``get_result``, a CSV
line that does not parse is an error, not a silently dropped row.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json
import pyarrow.parquet as pq

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.engines.dataengine.waiting import Interrupted
from cloudsql_cos_ts.errors import DownstreamError
from cloudsql_cos_ts.settings.datasource import Credentials
from cloudsql_cos_ts.settings.locations import Location
from cloudsql_cos_ts.storage.factory import open_store

_READERS: dict[str, Callable[[bytes], pa.Table]] = {
    "parquet": lambda data: pq.read_table(io.BytesIO(data)),
    "csv": lambda data: pa_csv.read_csv(io.BytesIO(data)),
    "json": lambda data: pa_json.read_json(io.BytesIO(data)),
}
RESULT_FORMATS = tuple(_READERS)


def read_result(
    location: Location, fmt: str, credentials: Credentials, row_limit: int, cancel: CancelToken
) -> tuple[pa.Table, bool]:
    """The result table (at most ``row_limit`` rows) and whether rows were cut."""
    reader = _READERS.get(fmt.lower())
    if reader is None:
        raise DownstreamError(
            f"the Data Engine result is stored as {fmt!r}, which the plugin cannot read ({', '.join(RESULT_FORMATS)})"
        )
    store, prefix = open_store(location, credentials)
    parts = sorted(
        (obj for obj in store.list(prefix).objects if obj.size > 0 and not obj.key.rsplit("/", 1)[-1].startswith("_")),
        key=lambda obj: obj.key,
    )
    tables: list[pa.Table] = []
    rows = 0
    for part in parts:
        if cancel.is_cancelled():
            raise Interrupted
        data, _ = store.get(part.key)
        try:
            table = reader(data)
        except (pa.ArrowInvalid, OSError) as exc:
            raise DownstreamError(
                f"the Data Engine result object {part.key!r} is not valid {fmt}: {str(exc).splitlines()[0]}"
            ) from None
        tables.append(table)
        rows += table.num_rows
        if rows > row_limit:
            break
    if not tables:
        return pa.table({}), False
    try:
        table = pa.concat_tables(tables, promote_options="permissive")
    except pa.ArrowInvalid as exc:
        raise DownstreamError(f"the Data Engine result parts do not share one schema: {exc}") from None
    if table.num_rows > row_limit:
        return table.slice(0, row_limit), True
    return table, False
