"""The macros that name data: ``$__source``, ``$__source_prev(RefId)`` and ``INTO $__dest(...)``.

``$__source`` and ``$__source_prev`` become relation names the engine registers, so they work
anywhere a table can stand (FROM, JOIN, ``DESCRIBE(...)``). ``$__dest`` never reaches SQL: the
whole ``INTO $__dest(...)`` is removed and the plugin writes the result itself, so SQL cannot write.
"""

from __future__ import annotations

import re

from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.lexer import TokenKind, split_arguments, tokenize
from cloudsql_cos_ts.macros.model import DestFormat, DestSpec, Findings, MacroCall, MacroContext
from cloudsql_cos_ts.macros.sqltext import arguments, quote_name

_DEST_FORMATS: tuple[DestFormat, ...] = ("parquet", "csv", "json")
_SUFFIX = re.compile(r"[A-Za-z0-9_\-./=]*")
_PLAIN_REF_CHAR = re.compile(r"[A-Z0-9]")


def prev_relation_name(ref_id: str) -> str:
    """The relation holding the result of query ``ref_id`` (``A`` -> ``__PREV_A``).

    Upper-case letters and digits are kept; any other character becomes ``_<hex code>_`` so that
    distinct refIds (``a`` / ``A`` / ``my query``) never share a relation name.
    """
    encoded = "".join(char if _PLAIN_REF_CHAR.fullmatch(char) else f"_{ord(char):X}_" for char in ref_id)
    return f"__PREV_{encoded}"


def _ref_id(text: str) -> str:
    return text.strip().strip("'\"`").strip()


def find_prev_refs(sql: str) -> tuple[str, ...]:
    """RefIds read through ``$__source_prev(RefId)``, without expanding anything (for the pipeline's graph)."""
    if "$__source_prev" not in sql:  # the common case, on every query of every refresh: skip tokenizing
        return ()
    tokens = tokenize(sql)
    refs: list[str] = []
    for index, token in enumerate(tokens):
        is_call = index + 1 < len(tokens) and tokens[index + 1].is_symbol("(")
        if token.kind is TokenKind.MACRO and token.text == "$__source_prev" and is_call:
            args, _ = split_arguments(tokens, index + 1, sql)
            if len(args) == 1 and _ref_id(args[0]) and _ref_id(args[0]) not in refs:
                refs.append(_ref_id(args[0]))
    return tuple(refs)


def source(call: MacroCall, ctx: MacroContext, found: Findings) -> str:
    arguments(call, 0, 0, "$__source")
    if ctx.source_relation is None:
        raise BadRequest(
            f'{call.describe()}: this datasource has no source; set "source" in the datasource '
            "settings to a cos://<region>/<bucket>/<prefix> URL or a local folder"
        )
    return quote_name(ctx.source_relation)


def source_prev(call: MacroCall, ctx: MacroContext, found: Findings) -> str:
    (argument,) = arguments(call, 1, 1, "$__source_prev(RefId), e.g. $__source_prev(A)")
    ref_id = _ref_id(argument)
    if ref_id not in ctx.request_ref_ids:
        known = ", ".join(sorted(ctx.request_ref_ids)) or "none"
        raise BadRequest(
            f"{call.describe()}: there is no query {ref_id!r} in this panel (queries: {known}); "
            "name the refId of another query of the same panel"
        )
    found.prev_refs.append(ref_id)
    return prev_relation_name(ref_id)


def _suffix(text: str, call: MacroCall) -> str:
    suffix = text.strip().strip("'\"")
    if not _SUFFIX.fullmatch(suffix):
        raise BadRequest(f"{call.describe()}: the suffix {suffix!r} may only hold letters, digits and - _ . / =")
    if suffix.startswith("/") or ".." in suffix.split("/"):
        raise BadRequest(f"{call.describe()}: the suffix {suffix!r} must be a relative path without '..'")
    return suffix.rstrip("/")


def dest(call: MacroCall, ctx: MacroContext, found: Findings) -> str:
    args = arguments(call, 0, 2, "INTO $__dest, INTO $__dest(format) or INTO $__dest(format, suffix)")
    if call.previous_word != "INTO":
        raise BadRequest(f"{call.describe()}: $__dest must follow INTO, e.g. INTO $__dest(parquet)")
    if not ctx.destination_configured:
        raise BadRequest(
            f'{call.describe()}: this datasource has no destination; set "destination" in the '
            "datasource settings to a cos:// URL or a local folder"
        )
    if found.dest is not None:
        raise BadRequest(f"{call.describe()}: a query can write to $__dest only once")
    written = (args[0].strip().strip("'\"").lower() or "csv") if args else "csv"
    fmt = next((f for f in _DEST_FORMATS if f == written), None)
    if fmt is None:
        raise BadRequest(f"{call.describe()}: format {args[0]!r} is not supported; use parquet, csv or json")
    suffix = _suffix(args[1], call) if len(args) == 2 else ""
    found.dest = DestSpec(format=fmt, suffix=suffix)
    return ""
