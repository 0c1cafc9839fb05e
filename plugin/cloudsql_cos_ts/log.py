"""hclog-style JSON logs on stderr, the format Grafana re-logs as ``logger=plugin.<id>``.

Grafana's stderr reader asserts that ``@level``, ``@message`` and ``@timestamp`` are strings; any
other type panics a goroutine and takes the whole Grafana server down. This module is the only
writer of stderr lines, and it forces those three keys to strings and every extra value to
something JSON can hold. Known secrets are masked in every line as a last line of defence.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TextIO

LEVELS = {"trace": 0, "debug": 1, "info": 2, "warn": 3, "error": 4}
_MAX_LINE = 60_000  # go-plugin splits lines over 64 KiB into raw debug lines
_MAX_VALUE = 8_000  # per extra field, so one huge value cannot push the message out


class JsonLogger:
    """Thread-safe JSON-lines logger with a minimum level and secret masking."""

    def __init__(self, stream: TextIO | None = None, level: str = "info") -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self._min = LEVELS.get(level, LEVELS["info"])
        self._secrets: set[str] = set()

    def set_level(self, level: str) -> None:
        self._min = LEVELS.get(level, self._min)

    def enabled(self, level: str) -> bool:
        return LEVELS[level] >= self._min

    def add_secrets(self, values: Iterable[str]) -> None:
        """Mask these values wherever they would appear (short values would mask too much)."""
        with self._lock:
            self._secrets.update(v for v in values if len(v) >= 4)

    def log(self, level: str, message: str, **fields: Any) -> None:
        if not self.enabled(level):
            return
        text = str(message)
        if len(text) > _MAX_LINE // 2:
            text = text[: _MAX_LINE // 2] + " …(truncated)"
        record: dict[str, Any] = {
            "@level": level,
            "@message": text,
            "@timestamp": datetime.now(UTC).isoformat(timespec="microseconds"),
        }
        for name, value in fields.items():
            # Grafana reserves the @ keys and drops "timestamp"; keep such values under another name.
            key = f"field_{name.lstrip('@')}" if name.startswith("@") or name == "timestamp" else name
            plain = value if isinstance(value, str | int | float | bool) or value is None else str(value)
            record[key] = plain[:_MAX_VALUE] if isinstance(plain, str) else plain
        line = json.dumps(record, ensure_ascii=False, default=str)
        with self._lock:
            for secret in self._secrets:
                line = line.replace(secret, "****")
            stream = self._stream or sys.stderr
            try:
                stream.write(line + "\n")
                stream.flush()
            except (OSError, ValueError):
                pass  # stderr closed: Grafana is gone, nothing left to tell

    def trace(self, message: str, **fields: Any) -> None:
        self.log("trace", message, **fields)

    def debug(self, message: str, **fields: Any) -> None:
        self.log("debug", message, **fields)

    def info(self, message: str, **fields: Any) -> None:
        self.log("info", message, **fields)

    def warn(self, message: str, **fields: Any) -> None:
        self.log("warn", message, **fields)

    def error(self, message: str, **fields: Any) -> None:
        self.log("error", message, **fields)


log = JsonLogger()
"""The process-wide logger; the server sets its level from the plugin settings at start."""


_PYTHON_LEVELS = ((logging.ERROR, "error"), (logging.WARNING, "warn"), (logging.INFO, "info"), (logging.DEBUG, "debug"))


class _JsonBridge(logging.Handler):
    """Re-emit records of Python's ``logging`` (grpc, sqlglot, ibm_boto3, …) as our JSON lines."""

    def emit(self, record: logging.LogRecord) -> None:
        level = next((name for number, name in _PYTHON_LEVELS if record.levelno >= number), "trace")
        log.log(level, record.getMessage(), logger=record.name)


def bridge_python_logging() -> None:
    """Route every library's log records through :data:`log`.

    Without this, a library warning reaches stderr as a raw text line that Grafana files at debug
    level without context. sqlglot's parser warnings about statements it cannot parse are noise to
    operators (the query already gets a 400), so that logger is kept to errors.
    """
    logging.captureWarnings(True)  # warnings.warn (e.g. a library's FutureWarning) too, not raw stderr
    root = logging.getLogger()
    root.handlers = [_JsonBridge()]
    root.setLevel(logging.INFO)
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
