"""Fuzz macro expansion through the ``expand`` resource handler the query editor calls.

On any SQL the answer is a 200 or a 4xx with text, and a 200's ``expandedSql`` keeps every string
literal, quoted name and comment of the input exactly (the function-level properties in
tests/macros check the expander alone; this goes through routing, the model parser, instance
settings and the dialect translation as well).
"""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from cloudsql_cos_ts.macros.tokenizer import TokenKind, tokenize
from tests.macros.test_tokenizer_properties import CODE, MACRO_TEXT, PROTECTED, SQLISH
from tests.plugin_host import datasource_context
from tests.reliability.modes import FUZZ
from tests.reliability.servicers import Servicers
from tests.reliability.test_fuzz_queries import MACRO_CALLS

CONTEXT = datasource_context({"destination": "/tmp/cloudsql-fuzz-dest"}, uid="fuzz-macros")
PROTECTED_KINDS = (TokenKind.STRING, TokenKind.QUOTED_NAME, TokenKind.COMMENT)


def _protected_texts(sql: str) -> list[str]:
    return [token.text for token in tokenize(sql) if token.kind in PROTECTED_KINDS]


@FUZZ
@given(
    st.one_of(
        st.lists(st.one_of(PROTECTED, CODE, MACRO_CALLS), max_size=10).map(" ".join),
        st.lists(st.one_of(PROTECTED, CODE, MACRO_TEXT, SQLISH, MACRO_CALLS), max_size=8).map(" ".join),
        st.text(),
    )
)
def test_expand_keeps_strings_and_comments_and_answers_with_text(servicers: Servicers, sql: str) -> None:
    body = {"query": {"refId": "B", "rawSql": sql}, "range": {"from": 1714953600000, "to": 1715040000000}}
    status, answer = servicers.call_resource("expand", "POST", json.dumps(body).encode(), CONTEXT)
    if status == 200:
        assert _protected_texts(answer["expandedSql"]) == _protected_texts(sql)
    else:
        assert 400 <= status < 500 and answer["error"].strip(), (status, answer)
