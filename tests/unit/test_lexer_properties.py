"""Property tests: the tokenizer is lossless, only ever raises BadRequest, and macro expansion
never changes a string literal, quoted name or comment."""

from __future__ import annotations

import contextlib

from hypothesis import given
from hypothesis import strategies as st

from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.lexer import TokenKind, tokenize
from cloudsql_cos_ts.macros import expand_macros
from tests.macros.conftest import base_context
from tests.modes import PROPERTIES

SQLISH = st.lists(st.sampled_from([*"$_(),'\"`-/*\n\\ aSxT1.", "$__", "--", "/*", "*/", "$__source_prev("])).map(
    "".join
)
MACRO_TEXT = st.sampled_from(["$__timeFilter(string)", "$__source", "$__bogus", "$__dest(", "'", "--"])


def _body(quote: str, escapes: list[str]) -> st.SearchStrategy[str]:
    plain = st.text(st.characters(blacklist_characters=quote + "\\", blacklist_categories=["Cs"]), max_size=8)
    return st.lists(st.one_of(plain, st.sampled_from(escapes), MACRO_TEXT.filter(lambda m: quote not in m)))


def _literal(quote: str, escapes: list[str]) -> st.SearchStrategy[str]:
    return _body(quote, escapes).map(lambda parts: quote + "".join(parts) + quote)


PROTECTED = st.one_of(
    _literal("'", ["''", "\\'", "\\\\"]),
    _literal('"', ['""', '\\"', "\\\\"]),
    st.lists(
        st.one_of(st.text(st.characters(blacklist_characters="`", blacklist_categories=["Cs"]), max_size=8), MACRO_TEXT)
    ).map(lambda parts: "`" + "".join(p.replace("`", "``") for p in parts) + "`"),
    st.text(st.characters(blacklist_characters="\n\r", blacklist_categories=["Cs"])).map(lambda t: f"--{t}\n"),
    st.text(st.characters(blacklist_categories=["Cs"])).filter(lambda t: "*/" not in t).map(lambda t: f"/*{t}*/"),
)
CODE = st.sampled_from(
    [
        "SELECT",
        "a",
        "FROM",
        "t",
        "WHERE",
        "x = 1",
        "$__interval",
        "$__interval_ms",
        "$__source",
        "$__unixEpochFrom()",
        ",",
    ]
)


def _protected_texts(sql: str) -> list[str]:
    kinds = (TokenKind.STRING, TokenKind.QUOTED_NAME, TokenKind.COMMENT)
    return [token.text for token in tokenize(sql) if token.kind in kinds]


@PROPERTIES
@given(st.lists(st.one_of(PROTECTED, CODE), max_size=12))
def test_expansion_never_changes_strings_names_or_comments(pieces: list[str]) -> None:
    sql = " ".join(pieces)
    expanded = expand_macros(sql, base_context()).sql
    assert _protected_texts(expanded) == _protected_texts(sql)


@PROPERTIES
@given(st.one_of(SQLISH, st.text()))
def test_tokenizer_is_lossless_and_raises_only_bad_request(sql: str) -> None:
    try:
        tokens = tokenize(sql)
    except BadRequest:
        return
    assert "".join(token.text for token in tokens) == sql


@PROPERTIES
@given(st.one_of(SQLISH, st.lists(st.one_of(PROTECTED, CODE, MACRO_TEXT, SQLISH)).map(" ".join)))
def test_expansion_raises_only_bad_request(sql: str) -> None:
    with contextlib.suppress(BadRequest):
        expand_macros(sql, base_context())
