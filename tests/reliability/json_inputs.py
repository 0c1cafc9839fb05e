"""Strategies for the raw JSON bytes Grafana hands the plugin (query models, datasource jsonData).

Well-formed documents with known keys and wrong value types, and the bytes that are not JSON at
all: invalid UTF-8, NaN/Infinity, numbers too long for Python, nesting deeper than the parser's
recursion limit, truncated text.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

TEXT = st.text(st.characters(blacklist_categories=["Cs"]), max_size=16)
ANY_JSON: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=16),  # lone surrogates too
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=10,
)
BAD_CHARACTERS = st.sampled_from(["\x00", "\ud800", "\udfff", "\udc80"])
"""What a JSON string can carry that no path, URL, header or SQL engine takes: NUL and lone surrogates."""


def poisoned(texts: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """``texts``, some with a NUL or a lone surrogate inserted at any place."""

    @st.composite
    def insert(draw: st.DrawFn) -> str:
        text = draw(texts)
        at = draw(st.integers(0, len(text)))
        return text[:at] + draw(BAD_CHARACTERS) + text[at:]

    return st.one_of(texts, insert())


BROKEN_JSON = st.one_of(
    st.binary(max_size=64),
    st.integers(1, 200_000).map(lambda depth: b"[" * depth + b"]" * depth),
    st.integers(1, 200_000).map(lambda depth: b'{"a":' * depth + b"1" + b"}" * depth),
    st.integers(4_300, 6_000).map(lambda digits: b'{"x": ' + b"7" * digits + b"}"),
    st.sampled_from([b"NaN", b"Infinity", b"-Infinity", b"1e999", b'"\\ud800"', b"\xff\xfe{}", b"\xc3\x28"]),
)


def document(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[bytes]:
    """A JSON object holding any subset of ``fields`` (each value from its strategy, or any JSON) plus noise keys."""
    values = {key: st.one_of(strategy, ANY_JSON) for key, strategy in fields.items()}
    known = st.fixed_dictionaries({}, optional=values)
    noise = st.dictionaries(TEXT, ANY_JSON, max_size=2)
    return st.tuples(known, noise).map(lambda parts: _dump({**parts[1], **parts[0]}))


def _dump(value: dict[str, Any]) -> bytes:
    # json.dumps writes NaN/Infinity and lone surrogates as JSON's parser reads them back.
    return json.dumps(value).encode()


def corrupted(documents: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    """Valid documents with bytes replaced by invalid UTF-8 or cut short."""

    @st.composite
    def damage(draw: st.DrawFn) -> bytes:
        raw = draw(documents)
        at = draw(st.integers(0, len(raw)))
        patch = draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b""]))
        return raw[:at] + patch + (raw[at + 1 :] if patch else b"")

    return damage()


def json_bytes(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[bytes]:
    """Everything above for one kind of document."""
    valid = document(fields)
    return st.one_of(valid, valid, corrupted(valid), BROKEN_JSON)
