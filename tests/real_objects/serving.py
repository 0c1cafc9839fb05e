"""The built plugin over some of the hand-made objects, and the rows a table query answers there.

The objects of ``cases.py`` are captured on 2020-07-01 between 20:00 and 22:00 UTC: ``FROM_MS`` and
``TO_MS`` are the dashboard range the tests over them send.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cloudsql_cos_ts.flowlogs.native import UNAVAILABLE
from cloudsql_cos_ts.proto import backend_pb2 as pb
from tests.plugin_host import PluginProcess, data_query, datasource_context, decode_frames
from tests.real_objects.cases import write

FROM_MS = int(datetime(2020, 7, 1, 20, tzinfo=UTC).timestamp() * 1000)
TO_MS = int(datetime(2020, 7, 1, 22, tzinfo=UTC).timestamp() * 1000)

Served = tuple[PluginProcess, pb.PluginContext]


@contextmanager
def serving(root: Path, names: list[str], uid: str) -> Iterator[Served]:
    """A plugin process and the context of a datasource whose source holds the objects ``names``."""
    write(root / "bucket", names=names)
    process = PluginProcess(cache_dir=root / "cache").start()
    try:
        yield process, datasource_context({"source": str(root / "bucket")}, uid=uid)
    finally:
        process.stop()
    # The plugin decoded the objects natively: without the library answers stay right, only slower.
    assert UNAVAILABLE not in process.stderr()


def table_rows(served: Served, sql: str) -> list[tuple[Any, ...]]:
    """The rows of ``sql``'s one table frame from ``FROM_MS`` to ``TO_MS`` (a 200 is required)."""
    process, context = served
    model = {"rawSql": sql, "format": "table", "timeColumn": "start_time"}
    answer = process.query(data_query("A", model, from_ms=FROM_MS, to_ms=TO_MS), context=context)["A"]
    assert answer.status == 200, answer.error
    (table,) = decode_frames(answer)
    return [tuple(row.values()) for row in table.to_pylist()]
