"""Fuzz macro expansion through the ``expand`` resource handler the query editor calls.

On any SQL the answer is a 200 or a 4xx with text, and a 200's ``expandedSql`` keeps every string
literal, quoted name and comment of the input exactly and in order; the time macros add literals of
their own (``to_timestamp('2024-05-06T00:00:00.000Z')``) between them (the function-level properties in
tests/macros check the expander alone; this goes through routing, the model parser, instance
settings and the dialect translation as well).
"""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from cloudsql_cos_ts.lexer import TokenKind, tokenize
from tests.modes import FUZZ
from tests.plugin_host import datasource_context
from tests.reliability.servicers import Servicers
from tests.reliability.test_fuzz_queries import EPOCH_MS, MACRO_CALLS
from tests.unit.test_lexer_properties import CODE, MACRO_TEXT, PROTECTED, SQLISH

CONTEXT = datasource_context({"destination": "/tmp/cloudsql-fuzz-dest"}, uid="fuzz-macros")
PROTECTED_KINDS = (TokenKind.STRING, TokenKind.QUOTED_NAME, TokenKind.COMMENT)


def _protected_texts(sql: str) -> list[str]:
    return [token.text for token in tokenize(sql) if token.kind in PROTECTED_KINDS]


def _in_order(kept: list[str], within: list[str]) -> bool:
    """Whether ``within`` holds every item of ``kept`` in the same order (others may come between)."""
    rest = iter(within)
    return all(any(item == candidate for candidate in rest) for item in kept)


# the editor's usual range, the ends of the years 1 and 9999 and beyond, and numbers JSON lets through
RANGE_ENDS = st.one_of(st.just(1714953600000), EPOCH_MS, st.floats())


@FUZZ
@given(
    st.one_of(
        st.lists(st.one_of(PROTECTED, CODE, MACRO_CALLS), max_size=10).map(" ".join),
        st.lists(st.one_of(PROTECTED, CODE, MACRO_TEXT, SQLISH, MACRO_CALLS), max_size=8).map(" ".join),
        st.text(),
    ),
    st.tuples(RANGE_ENDS, st.one_of(st.just(1715040000000), RANGE_ENDS)),
)
def test_expand_keeps_strings_and_comments_and_answers_with_text(
    servicers: Servicers, sql: str, ends: tuple[float, float]
) -> None:
    body = {"query": {"refId": "B", "rawSql": sql}, "range": {"from": ends[0], "to": ends[1]}}
    status, answer = servicers.call_resource("expand", "POST", json.dumps(body).encode(), CONTEXT)
    if status == 200:
        assert _in_order(_protected_texts(sql), _protected_texts(answer["expandedSql"])), answer["expandedSql"]
    else:
        assert 400 <= status < 500 and answer["error"].strip(), (status, answer)


def test_literals_of_time_macros_come_between_the_kept_ones(servicers: Servicers) -> None:
    """Found by the long run: any 200 with a time macro failed the property when it asked for equal lists."""
    sql = "SELECT 'x' AS a, $__timeFilterColumn(start_time, timestamp) AS b, `y` AS c -- z"
    body = {"query": {"refId": "B", "rawSql": sql}, "range": {"from": 1714953600000, "to": 1715040000000}}
    status, answer = servicers.call_resource("expand", "POST", json.dumps(body).encode(), CONTEXT)
    assert status == 200, answer
    assert _in_order(_protected_texts(sql), _protected_texts(answer["expandedSql"])), answer["expandedSql"]
    assert not _in_order(["'x'", "`y`"], ["`y`", "'x'"]) and not _in_order(["'x'"], ["'X'"])
