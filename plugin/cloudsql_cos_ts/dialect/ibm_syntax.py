"""Rewrites IBM SQL Query's non-Spark syntax into text sqlglot's Spark parser accepts.

Runs on the lossless token stream (strings, quoted names and comments are never touched):

* ``INTO cos://… STORED AS …`` -> removed, and returned as an :class:`ExternalTarget`
  (``into_target.py``);
* ``cos://<region>/<bucket>/<prefix> STORED AS JSON|PARQUET|CSV|ORC|AVRO`` -> a generated relation
  name (``__EXTERNAL_1`` …) and an :class:`ExternalRef` the engine registers;
* ``DESCRIBE(x)`` -> ``(DESCRIBE x)``, a subquery sqlglot parses wherever a table may stand, or
  ``DESCRIBE x`` as a whole statement (the dialect-specific column shape is applied after parsing,
  see ``describe.py``);
* ``USING TIME_SERIES_FORMAT(key=…, timetick=…, value=…[, starttime=…, granularity=…]) IN name`` ->
  a marker ``LATERAL VIEW __TS_FORMAT(key, timetick, value, 'starttime', 'granularity') name`` that
  carries the clause into the parse tree at the SELECT it belongs to (``timeseries/`` lowers it);
* the window and step of ``TS_SEGMENT_BY_TIME`` in human units (``hour``, ``5minute``, ``PT15M``)
  -> milliseconds, as IBM's client did (``durations.py``).

``TS_EXPLODE(...) AS (a, b)`` needs no rewrite: Spark's multi-alias syntax parses as is.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from cloudsql_cos_ts.dialect.durations import duration_ms
from cloudsql_cos_ts.dialect.into_target import COS_URL, IntoTargets
from cloudsql_cos_ts.dialect.model import EXTERNAL_FORMATS, ExternalRef, ExternalTarget
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

TS_FORMAT_MARKER = "__TS_FORMAT"
_OPTION = re.compile(r"(\w+)\s*=\s*(.+)", re.DOTALL)
_TS_OPTIONS = ("key", "timetick", "value", "starttime", "granularity")
_TS_TRS_OPTIONS = ("starttime", "granularity")  # text values (a time, a duration), not column names

# (replacement text, index of the first token after the replaced ones) or None: no match here
Match = tuple[str, int] | None


def _substitute(sql: str, match_at: Callable[[list[Token], int], Match]) -> str:
    tokens = tokenize(sql)
    out: list[str] = []
    index = 0
    while index < len(tokens):
        found = match_at(tokens, index)
        if found is None:
            out.append(tokens[index].text)
            index += 1
        else:
            text, index = found
            out.append(text)
    return "".join(out)


def _words_follow(tokens: list[Token], index: int, *words: str) -> int | None:
    """Index after the keywords ``words`` starting at the first significant token from ``index``."""
    for word in words:
        index = next_significant(tokens, index)
        if index >= len(tokens) or not tokens[index].is_word(word):
            return None
        index += 1
    return index


class _ExternalRefs:
    """Replaces ``cos://… STORED AS fmt`` references and remembers them (one relation per URL + format)."""

    def __init__(self, sql: str) -> None:
        self.sql = sql
        self.refs: list[ExternalRef] = []

    def __call__(self, tokens: list[Token], index: int) -> Match:
        token = tokens[index]
        if token.kind is not TokenKind.COS_URL:
            return None
        where = line_col(self.sql, token.start)
        if not COS_URL.fullmatch(token.text):
            raise BadRequest(f"{token.text} at {where} is not a cos://<region>/<bucket>/<prefix> URL")
        after_as = _words_follow(tokens, index + 1, "STORED", "AS")
        format_index = next_significant(tokens, after_as) if after_as is not None else len(tokens)
        fmt = tokens[format_index].text.lower() if format_index < len(tokens) else ""
        if fmt not in EXTERNAL_FORMATS:
            formats = "|".join(f.upper() for f in EXTERNAL_FORMATS)
            raise BadRequest(f"{token.text} at {where}: add STORED AS {formats} after the URL")
        ref = next((r for r in self.refs if (r.url, r.format) == (token.text, fmt)), None)
        if ref is None:
            ref = ExternalRef(token.text, fmt, f"__EXTERNAL_{len(self.refs) + 1}")
            self.refs.append(ref)
        return ref.relation, format_index + 1


def _describe_call(sql: str) -> Callable[[list[Token], int], Match]:
    def match_at(tokens: list[Token], index: int) -> Match:
        opening = next_significant(tokens, index + 1)
        if not tokens[index].is_word("DESCRIBE") or opening >= len(tokens) or not tokens[opening].is_symbol("("):
            return None
        args, end = split_arguments(tokens, opening, sql)
        if len(args) != 1:
            raise BadRequest(
                f"DESCRIBE at {line_col(sql, tokens[index].start)} takes one table, e.g. DESCRIBE(FLOW_FLAT)"
            )
        at_statement_start = previous_significant(tokens, index - 1) < 0
        return (f"DESCRIBE {args[0]}" if at_statement_start else f"(DESCRIBE {args[0]})"), end

    return match_at


def _unquoted(text: str) -> str:
    value = text.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"`":
        value = value[1:-1]
    return value


def _column_option(text: str) -> str:
    return "`" + _unquoted(text).replace("`", "``") + "`"


def _text_option(text: str) -> str:
    return "'" + _unquoted(text).replace("\\", "\\\\").replace("'", "\\'") + "'"


def _time_series_format(sql: str) -> Callable[[list[Token], int], Match]:
    def match_at(tokens: list[Token], index: int) -> Match:
        after = _words_follow(tokens, index, "USING", "TIME_SERIES_FORMAT")
        if not tokens[index].is_word("USING") or after is None:
            return None
        where = f"USING TIME_SERIES_FORMAT at {line_col(sql, tokens[index].start)}"
        opening = next_significant(tokens, after)
        if opening >= len(tokens) or not tokens[opening].is_symbol("("):
            raise BadRequest(f"{where}: write TIME_SERIES_FORMAT(key=..., timetick=..., value=...)")
        args, end = split_arguments(tokens, opening, sql)
        options: dict[str, str] = {}
        for arg in args:
            option = _OPTION.fullmatch(arg)
            name = option.group(1).lower() if option else arg
            if option is None or name not in _TS_OPTIONS:
                raise BadRequest(f"{where}: unsupported option {name!r}; supported: {', '.join(_TS_OPTIONS)}")
            text = option.group(2)
            options[name] = _text_option(text) if name in _TS_TRS_OPTIONS else _column_option(text)
        if "timetick" not in options or "value" not in options:
            raise BadRequest(f'{where}: timetick and value are required, e.g. timetick="time", value="v"')
        series = "time_series"  # IBM's name when IN is left out
        after_in = _words_follow(tokens, end, "IN")
        if after_in is not None:
            name_index = next_significant(tokens, after_in)
            if name_index >= len(tokens) or tokens[name_index].kind not in (TokenKind.WORD, TokenKind.QUOTED_NAME):
                raise BadRequest(f"{where}: IN must be followed by the name of the series column")
            series, end = tokens[name_index].text, name_index + 1
        key, start, granularity = (options.get(name, "NULL") for name in ("key", *_TS_TRS_OPTIONS))
        arguments = f"{key}, {options['timetick']}, {options['value']}, {start}, {granularity}"
        return f" LATERAL VIEW {TS_FORMAT_MARKER}({arguments}) {series}", end

    return match_at


def _segment_units(sql: str) -> Callable[[list[Token], int], Match]:
    def match_at(tokens: list[Token], index: int) -> Match:
        opening = next_significant(tokens, index + 1)
        if not tokens[index].is_word("TS_SEGMENT_BY_TIME") or opening >= len(tokens):
            return None
        if not tokens[opening].is_symbol("("):
            return None
        args, end = split_arguments(tokens, opening, sql)
        if not args:
            return None
        sizes = [str(ms) if (ms := duration_ms(arg)) is not None else arg for arg in args[1:]]
        return f"{tokens[index].text}({', '.join([args[0], *sizes])})", end

    return match_at


def rewrite_ibm_syntax(sql: str) -> tuple[str, tuple[ExternalRef, ...], ExternalTarget | None]:
    """Spark-parsable text for IBM SQL, the ``cos://`` references it replaced and its INTO target."""
    target = IntoTargets(sql)
    text = _substitute(sql, target)
    externals = _ExternalRefs(text)
    text = _substitute(text, externals)
    for rewrite in (_describe_call, _time_series_format, _segment_units):
        text = _substitute(text, rewrite(text))
    return text, tuple(externals.refs), target.target
