"""Datasource settings: parsing, defaults, validation messages, secret handling."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import pytest

from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.settings.datasource import parse_datasource_settings
from cloudsql_cos_ts.settings.locations import CosLocation, LocalLocation, parse_location
from cloudsql_cos_ts.settings.plugin import load_plugin_settings
from cloudsql_cos_ts.settings.secret import Secret


def parse(json_data: dict[str, Any] | bytes, secure: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    raw = json_data if isinstance(json_data, bytes) else json.dumps(json_data).encode()
    return parse_datasource_settings(uid="u", name="n", last_updated_ms=1, json_data=raw, secure=secure or {})


@pytest.mark.parametrize(
    ("text", "endpoint", "bucket", "prefix"),
    [
        (
            "cos://us-south/flows/ibm_vpc_flowlogs_v1",
            "https://s3.us-south.cloud-object-storage.appdomain.cloud",
            "flows",
            "ibm_vpc_flowlogs_v1/",
        ),
        ("cos://EU-DE/flows/", "https://s3.eu-de.cloud-object-storage.appdomain.cloud", "flows", ""),
        ("cos://us-geo/flows/a/b/", "https://s3.us.cloud-object-storage.appdomain.cloud", "flows", "a/b/"),
        (
            "cos://s3.private.us-east.cloud-object-storage.appdomain.cloud/my.bucket/x",
            "https://s3.private.us-east.cloud-object-storage.appdomain.cloud",
            "my.bucket",
            "x/",
        ),
    ],
)
def test_cos_locations(text: str, endpoint: str, bucket: str, prefix: str) -> None:
    location = parse_location(text, field="source")
    assert location == CosLocation(endpoint=endpoint, bucket=bucket, prefix=prefix, region=location.region)  # type: ignore[union-attr]


def test_endpoint_override_wins() -> None:
    location = parse_location("cos://us-south/flows/p", field="source", endpoint_override="http://127.0.0.1:9000")
    assert isinstance(location, CosLocation) and location.endpoint == "http://127.0.0.1:9000"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "source is empty"),
        ("relative/path", "absolute folder path"),
        ("s3://bucket/x", "got a s3:// URL"),
        ("cos://us-south", "expected cos://<region-or-endpoint>/<bucket>/<prefix>"),
        ("cos://us-south/Bad_Bucket/x", "not a valid bucket name"),
        ("cos://not a host/bucket/x", "neither a COS region alias"),
    ],
)
def test_bad_locations(text: str, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        parse_location(text, field="source")


def test_local_location_is_resolved(tmp_path: Path) -> None:
    assert parse_location(f"file://{tmp_path}/a/../b", field="source") == LocalLocation(tmp_path / "b")


def test_defaults() -> None:
    settings = parse({})
    assert (settings.engine, settings.source, settings.row_limit, settings.cache_ttl_s) == (
        "duckdb",
        None,
        1_000_000,
        300,
    )


@pytest.mark.parametrize(
    ("json_data", "secure", "message"),
    [
        (b"{not json", {}, "jsonData is not valid JSON"),
        (b"[1]", {}, "must be a JSON object"),
        ({"engine": "oracle"}, {}, "engine must be one of duckdb, spark, dataengine"),
        ({"apiKey": "k"}, {}, "must be stored in the secure settings"),
        ({"rowLimit": 0}, {}, "rowLimit must be between 1 and"),
        ({"rowLimit": "many"}, {}, "rowLimit must be a number"),
        ({"queryTimeoutSeconds": True}, {}, "queryTimeoutSeconds must be a number"),
        ({"memoryLimit": "lots"}, {}, "memoryLimit must look like"),
        ({"cacheAlignRanges": "yes"}, {}, "cacheAlignRanges must be true or false"),
        ({"authType": "iam"}, {}, "no IBM Cloud API key is set"),
        ({"authType": "hmac"}, {"hmacAccessKeyId": "a"}, "set both the HMAC"),
        ({"source": "cos://us-south/flows/x"}, {}, "a cos:// location needs credentials"),
        ({"engine": "spark"}, {}, "set sparkUrl"),
        ({"engine": "dataengine"}, {}, "set dataEngineInstanceCrn"),
        ({"cosEndpoint": "ftp://x"}, {}, "cosEndpoint must look like"),
        ({"cosEndpoint": "https://user:pw@host"}, {}, "must not contain credentials"),
    ],
)
def test_validation_messages(json_data: dict[str, Any] | bytes, secure: dict[str, str], message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        parse(json_data, secure)


def test_secrets_never_print() -> None:
    settings = parse({"source": "cos://us-south/flows/x"}, {"apiKey": "canary-api-key-123"})
    assert settings.credentials.auth == "iam"
    assert "canary-api-key-123" not in repr(settings) and "canary-api-key-123" not in str(settings)
    assert settings.credentials.api_key.reveal() == "canary-api-key-123"
    with pytest.raises(TypeError):
        pickle.dumps(Secret("x"))


def test_hmac_is_inferred_from_keys() -> None:
    settings = parse({"source": "cos://us-south/flows/x"}, {"hmacAccessKeyId": "a", "hmacSecretAccessKey": "b"})
    assert settings.credentials.auth == "hmac"


def test_plugin_settings_from_env(tmp_path: Path) -> None:
    env = {"GF_PLUGIN_CACHE_DIR": str(tmp_path), "GF_PLUGIN_LOG_LEVEL": "DEBUG", "GF_PLUGIN_MAX_WORKERS": "x"}
    settings = load_plugin_settings(env)
    assert (settings.cache_dir, settings.log_level, settings.max_workers) == (tmp_path, "debug", 16)
    assert load_plugin_settings({"GF_PLUGIN_LOG_LEVEL": "loud"}).log_level == "info"


@pytest.mark.parametrize(
    ("env", "memory_bytes"),
    [
        ({}, 64 * 1024**2),  # the default disk limit (2 GiB) allows the 64 MiB cap
        ({"GF_PLUGIN_CACHE_SIZE_BYTES": "160000"}, 10_000),  # memory never holds more than a sixteenth of disk
        ({"GF_PLUGIN_CACHE_SIZE_BYTES": "160000", "GF_PLUGIN_CACHE_MEMORY_BYTES": "0"}, 0),  # off
        ({"GF_PLUGIN_CACHE_MEMORY_BYTES": "1000"}, 1000),
    ],
)
def test_result_cache_memory_budget(env: dict[str, str], memory_bytes: int) -> None:
    assert load_plugin_settings(env).cache_memory_bytes == memory_bytes
