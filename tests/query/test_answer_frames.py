"""Issue 15 item 8, through the plugin process: the frame a Table query gets with and without
alerting's ``FromAlert`` header, and the SQL a cached answer shows."""

from __future__ import annotations

from typing import Any

import pytest

from tests.plugin_host import PluginProcess, data_query, datasource_context, decode_frames, frame_meta

LABELS_AND_NUMBERS = "SELECT * FROM VALUES ('a', 1.5), ('b', 2.5) AS t(host, n)"


def meta_of(plugin: PluginProcess, sql: str, headers: dict[str, str] | None = None, uid: str = "frames") -> Any:
    query = data_query("A", {"rawSql": sql, "format": "table", "cacheTtlSeconds": 300})
    answer = plugin.query(query, context=datasource_context(uid=uid), headers=headers)["A"]
    assert answer.status == 200, answer.error
    (table,) = decode_frames(answer)
    return frame_meta(table)


@pytest.mark.parametrize(
    ("headers", "kind", "visualisation"),
    [
        (None, None, "table"),  # a panel: a plain table, whatever its columns
        ({"FromAlert": "true"}, "numeric-long", None),  # an alert rule: the numbers alerting reads
    ],
)
def test_a_table_is_numeric_only_for_alerting(
    plugin: PluginProcess, headers: dict[str, str] | None, kind: str | None, visualisation: str | None
) -> None:
    meta = meta_of(plugin, LABELS_AND_NUMBERS, headers)
    assert meta.get("type") == kind and meta.get("preferredVisualisationType") == visualisation
    assert meta.get("typeVersion") == ([0, 1] if kind else None)


def test_a_cached_answer_shows_the_sql_of_the_query_that_asked(plugin: PluginProcess) -> None:
    """Two spellings of one statement translate to the same engine SQL, so the second is served from
    the entry the first filled; its meta must show its own text."""
    first = meta_of(plugin, "SELECT 7 AS n", uid="spelling")
    second = meta_of(plugin, "select  7  as n", uid="spelling")
    assert (first["custom"]["cache"]["hit"], second["custom"]["cache"]["hit"]) == (False, True)
    assert first["custom"]["expandedSql"] == "SELECT 7 AS n"
    assert second["custom"]["expandedSql"] == "select  7  as n"
    assert second["executedQueryString"] == first["executedQueryString"]  # the engine SQL is the key's
