"""The CLI's printing of a frame's JSON fields (binary columns): the JSON as text, not bytes."""

from __future__ import annotations

import json
from collections.abc import Callable

import pyarrow as pa
import pytest

from cloudsql_cos_ts.cli.tables import csv_text, json_lines, text_table

TABLE = pa.table({"labels": pa.array([b'{"action":"rejected"}', b"\xff\x00", None], pa.binary())})


@pytest.mark.parametrize(
    ("render", "expected"),
    [
        (lambda t: text_table(t).splitlines()[2:5], ['{"action": "rejected"}', "ff00", ""]),
        (lambda t: csv_text(t).splitlines()[1:], ['"{""action"": ""rejected""}"', "ff00", '""']),
        (
            lambda t: [json.loads(line)["labels"] for line in json_lines(t).splitlines()],
            [{"action": "rejected"}, "ff00", None],
        ),
    ],
    ids=["text", "csv", "json"],
)
def test_json_fields_print_as_json(render: Callable[[pa.Table], list[object]], expected: list[object]) -> None:
    assert render(TABLE) == expected
