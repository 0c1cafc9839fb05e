"""A lossless lexer for IBM SQL Query text (Spark SQL plus ``$__macros`` and ``cos://`` URLs).

Macros must never be expanded inside string literals, quoted names or comments, and IBM-only syntax
must be rewritten without touching them either. sqlglot's tokenizer cannot be used for that: it
does not know ``$__name`` or ``cos://…`` and it drops comments. This lexer is lossless — joining the
``text`` of all tokens gives back the input exactly — so a rewrite copies every token it does not
own verbatim.

Lexical rules (Spark's): ``--`` comments run to the end of the line, ``/* */`` comments do not nest;
``'…'`` and ``"…"`` are both string literals where a backslash escapes the next character and a
doubled quote stays inside the literal; ``\\`…\\``` is a quoted name with doubled back-quotes as
escapes. An unterminated literal or comment is a :class:`BadRequest` naming its position.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from cloudsql_cos_ts.errors import BadRequest


class TokenKind(Enum):
    WORD = "word"  # keyword or unquoted identifier
    NUMBER = "number"
    STRING = "string"  # '…' or "…"
    QUOTED_NAME = "quoted name"  # `…`
    COMMENT = "comment"
    SPACE = "space"
    MACRO = "macro"  # $__name
    COS_URL = "cos url"  # cos://region/bucket/prefix
    SYMBOL = "symbol"  # any other single character


@dataclass(frozen=True)
class Token:
    kind: TokenKind
    text: str
    start: int  # offset in the text that was tokenized

    @property
    def end(self) -> int:
        return self.start + len(self.text)

    @property
    def is_blank(self) -> bool:
        """Whitespace or a comment: nothing the SQL parser sees."""
        return self.kind in (TokenKind.SPACE, TokenKind.COMMENT)

    def is_word(self, *words: str) -> bool:
        return self.kind is TokenKind.WORD and self.text.upper() in words

    def is_symbol(self, symbol: str) -> bool:
        return self.kind is TokenKind.SYMBOL and self.text == symbol


_SIMPLE_PATTERNS: tuple[tuple[TokenKind, re.Pattern[str]], ...] = (
    (TokenKind.SPACE, re.compile(r"\s+")),
    (TokenKind.MACRO, re.compile(r"\$__\w+")),
    (TokenKind.COS_URL, re.compile(r"(?i:cos)://[^\s(),;]*")),
    (TokenKind.NUMBER, re.compile(r"\d+(?:\.\d*)?(?:[eE][+-]?\d+)?")),
    (TokenKind.WORD, re.compile(r"[^\W\d]\w*")),
)


def line_col(text: str, offset: int) -> str:
    """``line L, column C`` (both 1-based) of an offset, for error messages."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"line {line}, column {column}"


def _quoted_end(sql: str, start: int) -> int:
    """End offset of the quoted literal or name opening at ``start``."""
    quote = sql[start]
    index = start + 1
    while index < len(sql):
        char = sql[index]
        if char == "\\" and quote != "`":
            index += 2
        elif char == quote:
            if sql.startswith(quote, index + 1):
                index += 2
            else:
                return index + 1
        else:
            index += 1
    what = "quoted name" if quote == "`" else "string"
    raise BadRequest(f"unterminated {what} starting at {line_col(sql, start)}: add the closing {quote}")


def _comment_end(sql: str, start: int) -> int:
    if sql.startswith("--", start):
        newline = sql.find("\n", start)
        return len(sql) if newline < 0 else newline
    close = sql.find("*/", start + 2)
    if close < 0:
        raise BadRequest(f"unterminated comment starting at {line_col(sql, start)}: add the closing */")
    return close + 2


def tokenize(sql: str) -> list[Token]:
    """Split SQL text into tokens whose texts join back to ``sql``."""
    tokens: list[Token] = []
    index = 0
    while index < len(sql):
        char = sql[index]
        if char in "'\"`":
            kind = TokenKind.QUOTED_NAME if char == "`" else TokenKind.STRING
            end = _quoted_end(sql, index)
        elif sql.startswith(("--", "/*"), index):
            kind, end = TokenKind.COMMENT, _comment_end(sql, index)
        else:
            kind, end = TokenKind.SYMBOL, index + 1
            for candidate, pattern in _SIMPLE_PATTERNS:
                match = pattern.match(sql, index)
                if match:
                    kind, end = candidate, match.end()
                    break
        tokens.append(Token(kind, sql[index:end], index))
        index = end
    return tokens


def next_significant(tokens: list[Token], index: int) -> int:
    """Index of the first non-blank token at or after ``index`` (``len(tokens)`` if none)."""
    while index < len(tokens) and tokens[index].is_blank:
        index += 1
    return index


def previous_significant(tokens: list[Token], index: int) -> int:
    """Index of the last non-blank token at or before ``index`` (-1 if none)."""
    while index >= 0 and tokens[index].is_blank:
        index -= 1
    return index


def split_arguments(tokens: list[Token], open_index: int, sql: str) -> tuple[list[str], int]:
    """Arguments of the parenthesised list opening at ``tokens[open_index]`` (a ``(``).

    Commas split arguments only at the outer level, so nested calls and quoted commas stay inside
    one argument. Returns the stripped argument texts (``[]`` for ``()``) and the index just after
    the closing parenthesis.
    """
    depth = 0
    arguments: list[str] = []
    current: list[str] = []
    for index in range(open_index, len(tokens)):
        token = tokens[index]
        if token.is_symbol("(") and depth == 0:
            depth = 1
            continue
        if token.is_symbol("("):
            depth += 1
        elif token.is_symbol(")"):
            depth -= 1
            if depth == 0:
                arguments.append("".join(current).strip())
                if arguments == [""]:
                    arguments = []
                return arguments, index + 1
        elif token.is_symbol(",") and depth == 1:
            arguments.append("".join(current).strip())
            current = []
            continue
        current.append(token.text)
    opening = tokens[open_index]
    raise BadRequest(f"the parenthesis opened at {line_col(sql, opening.start)} is never closed")
