"""JSON log lines: string keys Grafana asserts on, levels, secret masking."""

from __future__ import annotations

import io
import json
import logging
import warnings

import pytest

from cloudsql_cos_ts import log as logging_module
from cloudsql_cos_ts.log import JsonLogger


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_reserved_keys_are_strings_and_extras_are_plain() -> None:
    stream = io.StringIO()
    logger = JsonLogger(stream, "debug")
    logger.info(123, **{"@level": 5, "timestamp": "x", "obj": {"a": 1}, "n": 2})  # type: ignore[arg-type]
    (record,) = lines(stream)
    assert record["@message"] == "123" and record["@level"] == "info"
    assert record["field_level"] == 5 and record["field_timestamp"] == "x"
    assert record["obj"] == "{'a': 1}" and record["n"] == 2


def test_level_threshold() -> None:
    stream = io.StringIO()
    logger = JsonLogger(stream, "warn")
    logger.info("hidden")
    logger.error("shown")
    assert [r["@message"] for r in lines(stream)] == ["shown"]


def test_secrets_are_masked_everywhere() -> None:
    stream = io.StringIO()
    logger = JsonLogger(stream)
    logger.add_secrets(["canary-secret-1", "ab"])
    logger.warn("failed with canary-secret-1", detail="key=canary-secret-1")
    text = stream.getvalue()
    assert "canary-secret-1" not in text and text.count("****") == 2


def test_huge_messages_are_truncated_below_go_plugins_line_limit() -> None:
    stream = io.StringIO()
    JsonLogger(stream).info("x" * 200_000)
    assert len(stream.getvalue()) < 64 * 1024
    assert lines(stream)[0]["@message"].endswith("(truncated)")


def test_python_logging_is_bridged_into_json(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    monkeypatch.setattr(logging_module, "log", JsonLogger(stream, "debug"))
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        logging_module.bridge_python_logging()
        logging.getLogger("ibm_botocore").warning("retrying %s", "request")
        logging.getLogger("sqlglot").warning("Falling back to parsing as a 'Command'")
        warnings.warn("pandas 3 is not fully supported", FutureWarning, stacklevel=1)
    finally:
        root.handlers, root.level = saved
        logging.captureWarnings(False)
    records = lines(stream)
    assert [(r["@level"], r["logger"]) for r in records] == [("warn", "ibm_botocore"), ("warn", "py.warnings")]
    assert records[0]["@message"] == "retrying request"
    assert "pandas 3 is not fully supported" in str(records[1]["@message"])
