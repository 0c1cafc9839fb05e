"""IBM's ``INTO cos://… [JOBPREFIX JOBID|NONE] STORED AS fmt [PARTITIONED …]`` clause, taken out of the SQL.

IBM SQL Query wrote every result to COS; the clause said where and how. Here the plugin writes the
result after the engine ran the query (as for ``INTO $__dest``), so the clause is removed from the
text before parsing and returned as an :class:`ExternalTarget`; where it may write is checked
against the datasource's locations by the caller (``settings/confinement.py``). The forms:

* ``JOBPREFIX JOBID`` (IBM's default) puts the objects below ``jobid=<id>/``, ``JOBPREFIX NONE``
  straight below the location;
* ``PARTITIONED BY (a, b)`` writes one folder per value (``a=…/b=…/``) without those columns,
  ``PARTITIONED INTO n OBJECTS`` (or ``BUCKETS``) n objects, ``PARTITIONED EVERY n ROWS`` objects
  of at most n rows.
"""

from __future__ import annotations

import re
from dataclasses import replace

from cloudsql_cos_ts.dialect.model import EXTERNAL_FORMATS, ExternalTarget
from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.lexer import Token, TokenKind, line_col, next_significant, split_arguments

COS_URL = re.compile(r"cos://[^/\s]+/[^/\s]+(/.*)?", re.IGNORECASE)
_MAX_OBJECTS = 10_000
_FORMS = "PARTITIONED BY (col, …), PARTITIONED INTO n OBJECTS or PARTITIONED EVERY n ROWS"

Match = tuple[str, int] | None


def _word_at(tokens: list[Token], index: int, *words: str) -> int | None:
    """The index of the next significant token from ``index`` if it is one of ``words``."""
    found = next_significant(tokens, index)
    return found if found < len(tokens) and tokens[found].is_word(*words) else None


def _count(tokens: list[Token], index: int, unit: tuple[str, ...], where: str) -> tuple[int, int]:
    """``n <unit>`` from ``index``: the number and the index after the unit."""
    number = next_significant(tokens, index)
    value = int(tokens[number].text) if number < len(tokens) and tokens[number].text.isdigit() else 0
    after = _word_at(tokens, number + 1, *unit)
    if not 1 <= value <= _MAX_OBJECTS or after is None:
        raise BadRequest(f"{where}: write {unit[0]} as a whole number from 1 to {_MAX_OBJECTS}, e.g. 4 {unit[0]}")
    return value, after + 1


def _column_name(text: str, where: str) -> str:
    name = text.strip()
    if len(name) >= 2 and name[0] == name[-1] == "`":
        name = name[1:-1]
    if not name or "/" in name or "=" in name or name in (".", ".."):
        raise BadRequest(f"{where}: PARTITIONED BY takes column names, got {text.strip()!r}")
    return name


class IntoTargets:
    """Matcher for ``_substitute``: removes the clause and keeps what it said (one per statement)."""

    def __init__(self, sql: str) -> None:
        self.sql = sql
        self.target: ExternalTarget | None = None

    def __call__(self, tokens: list[Token], index: int) -> Match:
        url_index = next_significant(tokens, index + 1)
        if not tokens[index].is_word("INTO") or url_index >= len(tokens):
            return None
        if tokens[url_index].kind is not TokenKind.COS_URL:
            return None
        url = tokens[url_index].text
        where = f"INTO {url} at {line_col(self.sql, tokens[index].start)}"
        if self.target is not None:
            raise BadRequest(f"{where}: a statement has one INTO clause")
        if not COS_URL.fullmatch(url):
            raise BadRequest(f"{where}: write the location as cos://<region>/<bucket>/<prefix>")
        job_prefix, position = True, url_index + 1
        keyword = _word_at(tokens, position, "JOBPREFIX")
        if keyword is not None:
            choice = _word_at(tokens, keyword + 1, "JOBID", "NONE")
            if choice is None:
                raise BadRequest(f"{where}: JOBPREFIX is followed by JOBID or NONE")
            job_prefix, position = tokens[choice].is_word("JOBID"), choice + 1
        stored = _word_at(tokens, position, "STORED")
        as_index = _word_at(tokens, stored + 1, "AS") if stored is not None else None
        fmt_index = next_significant(tokens, as_index + 1) if as_index is not None else len(tokens)
        fmt = tokens[fmt_index].text.lower() if fmt_index < len(tokens) else ""
        if fmt not in EXTERNAL_FORMATS:
            raise BadRequest(f"{where}: add STORED AS {'|'.join(f.upper() for f in EXTERNAL_FORMATS)}")
        self.target, end = self._partitioning(
            tokens, fmt_index + 1, ExternalTarget(url, fmt, job_prefix), where
        )
        return " ", end

    def _partitioning(
        self, tokens: list[Token], index: int, target: ExternalTarget, where: str
    ) -> tuple[ExternalTarget, int]:
        keyword = _word_at(tokens, index, "PARTITIONED")
        if keyword is None:
            return target, index
        form = _word_at(tokens, keyword + 1, "BY", "INTO", "EVERY")
        if form is None:
            raise BadRequest(f"{where}: PARTITIONED takes one of {_FORMS}")
        if tokens[form].is_word("INTO"):
            objects, end = _count(tokens, form + 1, ("OBJECTS", "BUCKETS"), where)
            return replace(target, objects=objects), end
        if tokens[form].is_word("EVERY"):
            rows, end = _count(tokens, form + 1, ("ROWS",), where)
            return replace(target, rows_per_object=rows), end
        opening = next_significant(tokens, form + 1)
        if opening >= len(tokens) or not tokens[opening].is_symbol("("):
            raise BadRequest(f"{where}: write PARTITIONED BY (col, …)")
        columns, end = split_arguments(tokens, opening, self.sql)
        return replace(target, partition_by=tuple(_column_name(c, where) for c in columns)), end
