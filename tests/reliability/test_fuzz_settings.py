"""Fuzz the datasource settings: the parser, then Save & test and a query over the same settings.

Bad settings must come back as text the user can act on: a ``BadRequest`` from the parser, an
ERROR health status with a message, a 4xx answer to the query; never an escaped exception or the
"internal error" answers. Location and endpoint keys are pinned to a closed loopback port for the
handler tests, so nothing leaves the machine whatever the fuzzer writes.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.proto import backend_pb2 as pb
from cloudsql_cos_ts.settings.datasource import SECURE_KEYS, parse_datasource_settings
from tests.modes import FUZZ, FUZZ_SLOW_HANDLER
from tests.plugin_host import data_query, datasource_context
from tests.reliability.json_inputs import TEXT, json_bytes, poisoned
from tests.reliability.servicers import Servicers

CLOSED_PORT = "127.0.0.1:9"
LOCATIONS = st.sampled_from(
    ["/nonexistent/flows", "relative/folder", "cos://us-south/bucket/prefix", f"cos://{CLOSED_PORT}/b", "s3://x/y", ""]
)
NUMBERS = st.one_of(
    st.integers(), st.integers(10**300, 10**400), st.floats(), st.sampled_from(["10", "abc", "", "1e3", "nan"])
)
TEXT_FIELDS: dict[str, st.SearchStrategy[str]] = {
    "engine": st.sampled_from(["duckdb", "DuckDB", "spark", "dataengine", "sqlite", ""]),
    "source": LOCATIONS,
    "destination": LOCATIONS,
    "sourceFormat": st.sampled_from(["flowlogs", "json", "parquet", "csv", "xml"]),
    "authType": st.sampled_from(["none", "iam", "hmac", "kerberos"]),
    "cosEndpoint": st.sampled_from([f"http://{CLOSED_PORT}", "ftp://x", "not a url", ""]),
    "iamEndpoint": st.sampled_from([f"http://{CLOSED_PORT}", "nope"]),
    "serviceInstanceId": st.sampled_from(["0123-abcd", ""]),
    "memoryLimit": st.sampled_from(["512MB", "4GB", "1.5GB", "GB", "12", "-1MB", "1e9GB"]),
    "sparkUrl": st.sampled_from([f"sc://{CLOSED_PORT}", "http://x", ""]),
    "dataEngineInstanceCrn": st.sampled_from(["crn:v1:x", "nope"]),
    "dataEngineApiUrl": st.sampled_from([f"http://{CLOSED_PORT}", "nope"]),
    "damagedObjects": st.sampled_from(["skip", "fail", "ignore"]),
    **{key: st.sampled_from(["/nonexistent/enrichment.csv", "relative.csv", "/", ""])
       for key in ("geoCountryFile", "asnFile", "subnetsFile")},
}
"""Every text setting; the fuzzer also puts a NUL or a lone surrogate anywhere in each (``poisoned``)."""
SETTINGS_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    **{key: poisoned(values) for key, values in TEXT_FIELDS.items()},
    "allowAnonymous": st.booleans(),
    "queryTimeoutSeconds": NUMBERS,
    "rowLimit": NUMBERS,
    "cacheTtlSeconds": NUMBERS,
    "cacheAlignRanges": st.booleans(),
    "cacheSettleSeconds": NUMBERS,
    "cacheAlignStepSeconds": NUMBERS,
    "threads": NUMBERS,
    "apiKey": TEXT,  # a secret in jsonData must be refused
}
SECRETS = st.one_of(TEXT, TEXT.map(lambda text: text + "\x00"))  # protobuf strings carry NUL, never a surrogate
SECURE = st.dictionaries(st.sampled_from(SECURE_KEYS), SECRETS, max_size=4)
PINNED = {
    "cosEndpoint": f"http://{CLOSED_PORT}",
    "iamEndpoint": f"http://{CLOSED_PORT}",
    "sparkUrl": f"sc://{CLOSED_PORT}",
    "dataEngineApiUrl": f"http://{CLOSED_PORT}",
}
INTERNAL_ERROR = "internal error"


@FUZZ
@given(json_bytes(SETTINGS_FIELDS), SECURE)
def test_settings_parse_or_are_refused_with_text(raw: bytes, secure: dict[str, str]) -> None:
    try:
        parse_datasource_settings(uid="u", name="n", last_updated_ms=1, json_data=raw, secure=secure)
    except BadRequest as exc:
        assert exc.message.strip()


def _loopback_only(raw: bytes) -> bytes:
    """The fuzzed document with every endpoint on a closed loopback port (non-objects pass unchanged)."""
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        return raw
    return json.dumps({**value, **PINNED}).encode() if isinstance(value, dict) else raw


_versions = itertools.count(1)


@FUZZ_SLOW_HANDLER
@given(json_bytes(SETTINGS_FIELDS).map(_loopback_only), SECURE)
def test_save_and_test_and_queries_answer_any_settings_with_text(
    servicers: Servicers, raw: bytes, secure: dict[str, str]
) -> None:
    context = datasource_context(secure=secure, uid="fuzz-settings", version=next(_versions))
    context.dataSourceInstanceSettings.jsonData = raw
    health = servicers.health(context)
    assert health.status in (pb.CheckHealthResponse.OK, pb.CheckHealthResponse.ERROR)
    assert health.message.strip() and INTERNAL_ERROR not in health.message, health.message
    assert not health.jsonDetails or isinstance(json.loads(health.jsonDetails), dict)
    request = pb.QueryDataRequest(pluginContext=context, queries=[data_query("A", {"rawSql": "SELECT 1 AS x"})])
    answer = servicers.query(request).responses["A"]
    assert _answered_with_text(answer), (answer.status, answer.errorSource, answer.error)


def _answered_with_text(answer: pb.DataResponse) -> bool:
    """A 200, or an error with text that the user (4xx) or the configured engine (502/504, downstream) caused.

    Settings may name an engine that cannot be reached (every endpoint here is a closed port): that is
    the data store's 502, not a bug of ours; a 500 always is.
    """
    if answer.status == 200:
        return True
    downstream = answer.status in (502, 504) and answer.errorSource == "downstream"
    return bool(answer.error.strip()) and (400 <= answer.status < 500 or downstream)


@pytest.mark.parametrize("engine", ["spark", "dataengine"])
def test_an_engine_that_cannot_be_reached_is_a_downstream_502_with_text(servicers: Servicers, engine: str) -> None:
    """Found by the long run: valid settings naming an unreachable engine answer 502, which the property refused."""
    settings = {"engine": engine, "dataEngineInstanceCrn": "crn:v1:x", "destination": "cos://us-south/results-bucket/x"}
    raw = _loopback_only(json.dumps(settings).encode())
    context = datasource_context(secure={"apiKey": "k"}, uid=f"unreachable-{engine}", version=next(_versions))
    context.dataSourceInstanceSettings.jsonData = raw
    request = pb.QueryDataRequest(pluginContext=context, queries=[data_query("A", {"rawSql": "SELECT 1 AS x"})])
    answer = servicers.query(request).responses["A"]
    assert _answered_with_text(answer) and answer.status == 502, (answer.status, answer.errorSource, answer.error)


def test_integers_beyond_floats_are_refused_with_text() -> None:
    """Found by the fuzzer: formatting ``rowLimit: 1e400`` written as an integer raised OverflowError."""
    raw = b'{"rowLimit": 1' + b"0" * 400 + b"}"
    with pytest.raises(BadRequest, match=r"rowLimit must be between 1 and 1e\+08 \(got a larger number\)"):
        parse_datasource_settings(uid="u", name="n", last_updated_ms=1, json_data=raw, secure={})


def test_nested_or_oversized_json_data_is_refused_with_text() -> None:
    """Found by the fuzzer: deep nesting (RecursionError) and 4300+ digit numbers (ValueError) escaped."""
    for raw in (b"[" * 5000 + b"]" * 5000, b'{"x": ' + b"7" * 4301 + b"}"):
        with pytest.raises(BadRequest, match="not valid JSON"):
            parse_datasource_settings(uid="u", name="n", last_updated_ms=1, json_data=raw, secure={})


@pytest.mark.parametrize(
    "raw",
    [b'{"source": "/\xed\xa0\x80"}', b'{"source": "/data/\\udfff"}', b'{"destination": {"\\ud800": 1}}'],
)
def test_lone_surrogates_in_json_data_are_refused_with_text(servicers: Servicers, raw: bytes) -> None:
    """Found by the long run: a path holding U+D800 raised UnicodeEncodeError (Save & test: internal error)."""
    with pytest.raises(BadRequest, match="not valid Unicode"):
        parse_datasource_settings(uid="u", name="n", last_updated_ms=1, json_data=raw, secure={})
    context = datasource_context(uid="surrogates", version=next(_versions))
    context.dataSourceInstanceSettings.jsonData = raw
    health = servicers.health(context)
    assert health.status == pb.CheckHealthResponse.ERROR and "not valid Unicode" in health.message, health.message


@pytest.mark.parametrize("bad", ["\x00", "\ud800"])
@pytest.mark.parametrize("key", sorted(TEXT_FIELDS))
def test_nul_or_lone_surrogate_in_any_text_setting_is_a_400_naming_it(servicers: Servicers, key: str, bad: str) -> None:
    """Issue 25: a NUL in ``source`` was "internal error" at Save & test and a 500 for queries."""
    raw = json.dumps({key: f"/data/a{bad}b"}).encode()
    context = datasource_context(uid=f"bad-{key}", version=next(_versions))
    context.dataSourceInstanceSettings.jsonData = raw
    health = servicers.health(context)
    assert health.status == pb.CheckHealthResponse.ERROR and health.message.startswith(f"settings failed: {key} holds")
    request = pb.QueryDataRequest(pluginContext=context, queries=[data_query("A", {"rawSql": "SELECT 1 AS x"})])
    answer = servicers.query(request).responses["A"]
    assert answer.status == 400 and answer.error.startswith(f"{key} holds"), answer.error


@pytest.mark.parametrize("key", SECURE_KEYS)
def test_nul_in_a_secret_is_a_400_naming_the_secret_not_its_value(servicers: Servicers, key: str) -> None:
    context = datasource_context({"source": "cos://us-south/bucket/p"}, secure={key: "s3cret\x00"}, uid=f"nul-{key}",
                                 version=next(_versions))
    health = servicers.health(context)
    assert health.status == pb.CheckHealthResponse.ERROR and f"{key} holds a NUL" in health.message
    assert "s3cret" not in health.message
