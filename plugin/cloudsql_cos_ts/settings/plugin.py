"""Plugin-wide settings from the environment Grafana gives the process.

Grafana turns each key of the ``[plugin.ibm-cloudsqlcos-datasource]`` section of grafana.ini into
``GF_PLUGIN_<KEY>`` (upper-cased), which is the only configuration channel that exists before the
first request; everything here is read once at start.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cloudsql_cos_ts.settings.host_memory import available_bytes

LOG_LEVELS = ("trace", "debug", "info", "warn", "error")


@dataclass(frozen=True)
class PluginSettings:
    cache_dir: Path
    log_level: str = "info"
    max_workers: int = 16
    cache_size_bytes: int = 2 * 1024**3
    cache_memory_bytes: int = 64 * 1024**2  # the newest results also kept in memory: hits skip the disk
    ingest_cache_size_bytes: int = 8 * 1024**3
    answer_memory_bytes: int = 4 * 1024**3  # all answers held at once (engines/answer_memory.py)
    lake_requests_per_second: int = 50  # the flow lake follower's cap on store requests (flowlogs/lake/follow.py)
    # hours after a day's end before its flow-lake manifest stands in for listing it (flowlogs/lake/read.py)
    lake_trust_after_hours: int = 6
    # The unpacked optional Spark client bundle (spark_client): the packaged plugin does not carry the
    # Spark Connect client, and its folder must live outside the (signed, unmodified) plugin folder.
    spark_client: Path | None = None


def _default_cache_dir(env: Mapping[str, str]) -> Path:
    """Outside the plugin folder (a signed plugin folder must stay unmodified)."""
    base = env.get("XDG_CACHE_HOME") or (f"{env['HOME']}/.cache" if env.get("HOME") else "")
    return Path(base) / "cloudsql-cos-ts" if base else Path(tempfile.gettempdir()) / f"cloudsql-cos-ts-{os.getuid()}"


def _int(env: Mapping[str, str], key: str, default: int) -> int:
    raw = env.get(key, "").strip()
    try:
        return int(raw) if raw else default
    except ValueError:
        return default


def load_plugin_settings(env: Mapping[str, str] | None = None) -> PluginSettings:
    """Read ``GF_PLUGIN_*``; bad values fall back to defaults (the process must still start)."""
    env = os.environ if env is None else env
    level = env.get("GF_PLUGIN_LOG_LEVEL", "info").strip().lower()
    cache_dir = Path(env["GF_PLUGIN_CACHE_DIR"]) if env.get("GF_PLUGIN_CACHE_DIR") else _default_cache_dir(env)
    cache_size = _int(env, "GF_PLUGIN_CACHE_SIZE_BYTES", 2 * 1024**3)
    return PluginSettings(
        cache_dir=cache_dir,
        log_level=level if level in LOG_LEVELS else "info",
        max_workers=max(2, _int(env, "GF_PLUGIN_MAX_WORKERS", 16)),
        cache_size_bytes=cache_size,
        # By default a sixteenth of the disk limit, at most 64 MiB: memory never holds what disk would not.
        cache_memory_bytes=_int(env, "GF_PLUGIN_CACHE_MEMORY_BYTES", min(64 * 1024**2, cache_size // 16)),
        ingest_cache_size_bytes=_int(env, "GF_PLUGIN_INGEST_CACHE_SIZE_BYTES", 8 * 1024**3),
        answer_memory_bytes=max(1, _int(env, "GF_PLUGIN_ANSWER_MEMORY_BYTES", _quarter_of_memory())),
        lake_requests_per_second=max(1, _int(env, "GF_PLUGIN_LAKE_REQUESTS_PER_SECOND", 50)),
        lake_trust_after_hours=max(0, _int(env, "GF_PLUGIN_LAKE_TRUST_AFTER_HOURS", 6)),
        spark_client=Path(env["GF_PLUGIN_SPARK_CLIENT"]) if env.get("GF_PLUGIN_SPARK_CLIENT", "").strip() else None,
    )


def _quarter_of_memory() -> int:
    """A quarter of the memory this process may use (``host_memory.py``).

    Why a quarter: the budget counts what answers hold (``engines/answer_memory.py``); the rest is the
    ingest, DuckDB's own buffers (memoryLimit), the interpreter, and Grafana itself in a shared container.
    """
    return available_bytes() // 4


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (0700) if needed: cached query results may hold sensitive rows."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    return path
