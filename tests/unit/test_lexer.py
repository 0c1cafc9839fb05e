from __future__ import annotations

import pytest

from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.lexer import TokenKind, line_col, split_arguments, tokenize

K = TokenKind


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT 1", [(K.WORD, "SELECT"), (K.SPACE, " "), (K.NUMBER, "1")]),
        ("'a''b'", [(K.STRING, "'a''b'")]),
        ("'it\\'s'", [(K.STRING, "'it\\'s'")]),
        ('"x $__source"', [(K.STRING, '"x $__source"')]),
        ('"a""b"', [(K.STRING, '"a""b"')]),
        ("`vnic-id`", [(K.QUOTED_NAME, "`vnic-id`")]),
        ("`a``b`", [(K.QUOTED_NAME, "`a``b`")]),
        ("-- $__x\n1", [(K.COMMENT, "-- $__x"), (K.SPACE, "\n"), (K.NUMBER, "1")]),
        ("/* $__x\n */", [(K.COMMENT, "/* $__x\n */")]),
        ("$__timeFilter()", [(K.MACRO, "$__timeFilter"), (K.SYMBOL, "("), (K.SYMBOL, ")")]),
        ("$__source_prev", [(K.MACRO, "$__source_prev")]),
        ("$x", [(K.SYMBOL, "$"), (K.WORD, "x")]),
        ("cos://us-south/b/p/ STORED", [(K.COS_URL, "cos://us-south/b/p/"), (K.SPACE, " "), (K.WORD, "STORED")]),
        ("5minute", [(K.NUMBER, "5"), (K.WORD, "minute")]),
        ("1.5e3", [(K.NUMBER, "1.5e3")]),
        ("a-b", [(K.WORD, "a"), (K.SYMBOL, "-"), (K.WORD, "b")]),
        ("", []),
    ],
)
def test_tokens(sql: str, expected: list[tuple[TokenKind, str]]) -> None:
    assert [(t.kind, t.text) for t in tokenize(sql)] == expected


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT 'abc", "unterminated string starting at line 1, column 8: add the closing '"),
        ('SELECT\n  "abc', 'unterminated string starting at line 2, column 3: add the closing "'),
        ("SELECT `abc", "unterminated quoted name starting at line 1, column 8: add the closing `"),
        ("SELECT 1 /* x", "unterminated comment starting at line 1, column 10: add the closing */"),
        ("SELECT 'a\\'", "unterminated string starting at line 1, column 8"),
    ],
)
def test_unterminated(sql: str, message: str) -> None:
    with pytest.raises(BadRequest, match=message.replace("*", r"\*")):
        tokenize(sql)


def test_line_col() -> None:
    assert line_col("ab\ncd", 4) == "line 2, column 2"
    assert line_col("ab", 0) == "line 1, column 1"


@pytest.mark.parametrize(
    ("sql", "args"),
    [
        ("()", []),
        ("( )", []),
        ("(a)", ["a"]),
        ("(a, b)", ["a", "b"]),
        ("(f(a, b), c)", ["f(a, b)", "c"]),
        ("('x,y', \"(\")", ["'x,y'", '"("']),
        ("(a /* , */, b)", ["a /* , */", "b"]),
        ("(a, )", ["a", ""]),
    ],
)
def test_split_arguments(sql: str, args: list[str]) -> None:
    tokens = tokenize(sql)
    assert split_arguments(tokens, 0, sql) == (args, len(tokens))


def test_unclosed_parenthesis() -> None:
    with pytest.raises(BadRequest, match="the parenthesis opened at line 1, column 1 is never closed"):
        split_arguments(tokenize("(a, (b)"), 0, "(a, (b)")
