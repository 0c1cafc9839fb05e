"""The macro expander: walks the tokens of a query and replaces each ``$__macro`` occurrence.

Only ``MACRO`` tokens are touched — strings, quoted names and comments are copied verbatim, so a
``$__timeFilter`` inside a literal stays text. Arguments are expanded first (so
``$__timeGroup(col, $__interval)`` works) and then handed to the macro's function from the registry.
"""

from __future__ import annotations

from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.lexer import (
    Token,
    TokenKind,
    line_col,
    next_significant,
    previous_significant,
    split_arguments,
    tokenize,
)
from cloudsql_cos_ts.macros.model import Expansion, Findings, MacroCall, MacroContext
from cloudsql_cos_ts.macros.registry import lookup


def _alias_after(tokens: list[Token], index: int) -> str | None:
    """The name in ``AS name`` right after ``tokens[index - 1]``, quotes removed."""
    keyword = next_significant(tokens, index)
    if keyword >= len(tokens) or not tokens[keyword].is_word("AS"):
        return None
    name = next_significant(tokens, keyword + 1)
    if name >= len(tokens) or tokens[name].kind not in (TokenKind.WORD, TokenKind.QUOTED_NAME):
        return None
    text = tokens[name].text
    return text[1:-1].replace("``", "`") if tokens[name].kind is TokenKind.QUOTED_NAME else text


def _read_call(
    tokens: list[Token], index: int, sql: str, ctx: MacroContext, findings: Findings
) -> tuple[MacroCall, int]:
    """The call starting at the MACRO token ``tokens[index]`` and the index after it."""
    token = tokens[index]
    end = index + 1
    args: tuple[str, ...] | None = None
    if end < len(tokens) and tokens[end].is_symbol("("):
        raw_args, end = split_arguments(tokens, end, sql)
        args = tuple(_expand_text(arg, ctx, findings) for arg in raw_args)
    before = previous_significant(tokens, index - 1)
    previous_word = tokens[before].text.upper() if before >= 0 and tokens[before].kind is TokenKind.WORD else None
    call = MacroCall(token.text, args, line_col(sql, token.start), previous_word, _alias_after(tokens, end))
    return call, end


def _is_line_comment(token: Token) -> bool:
    return token.kind is TokenKind.COMMENT and token.text.startswith("--")


def _drop_into(out: list[Token]) -> None:
    """Remove the trailing ``INTO`` keyword (and the blanks after it) from the output so far.

    The newline ending a line comment before ``INTO`` stays: without it the comment swallowed the
    rest of the query (``SELECT a -- note\\n INTO $__dest(csv, x) FROM t`` lost its FROM).
    """
    keyword = previous_significant(out, len(out) - 1)
    del out[keyword:]
    while out and out[-1].kind is TokenKind.SPACE and not (len(out) > 1 and _is_line_comment(out[-2])):
        out.pop()


def _expand_text(sql: str, ctx: MacroContext, findings: Findings) -> str:
    tokens = tokenize(sql)
    out: list[Token] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.kind is not TokenKind.MACRO:
            out.append(token)
            index += 1
            continue
        call, index = _read_call(tokens, index, sql, ctx, findings)
        macro = lookup(call)
        text = macro.expand(call, ctx, findings)
        if macro.removes_into:
            _drop_into(out)
        out.append(Token(TokenKind.MACRO, text, token.start))  # the expansion
    return "".join(token.text for token in out)


def expand_macros(sql: str, ctx: MacroContext) -> Expansion:
    """Expand every macro of one query; see the package docstring for the macros and their errors."""
    findings = Findings()
    try:
        expanded = _expand_text(sql, ctx, findings)
    except RecursionError:
        raise BadRequest("the query nests macros or parentheses too deeply") from None
    return Expansion(
        sql=expanded,
        dest=findings.dest,
        prev_refs=tuple(dict.fromkeys(findings.prev_refs)),
        fills=tuple(findings.fills),
    )
