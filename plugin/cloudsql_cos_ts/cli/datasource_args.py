"""The datasource a CLI command works on: a settings file like Grafana's, flags, or both.

The settings file is what Grafana stores for a datasource — ``{"uid", "name", "jsonData",
"secureJsonData"}`` — so a provisioning entry converts one to one. Flags override ``jsonData`` keys.
Secrets can also come from the environment (``CLOUDSQL_API_KEY``, ``CLOUDSQL_HMAC_ACCESS_KEY_ID``,
``CLOUDSQL_HMAC_SECRET_ACCESS_KEY``), so they need not sit in a file or in the shell history.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cloudsql_cos_ts.cli.host import datasource_context
from cloudsql_cos_ts.proto import backend_pb2 as pb

SECRET_ENV = {
    "apiKey": "CLOUDSQL_API_KEY",
    "hmacAccessKeyId": "CLOUDSQL_HMAC_ACCESS_KEY_ID",
    "hmacSecretAccessKey": "CLOUDSQL_HMAC_SECRET_ACCESS_KEY",
}
_FLAGS = {
    "source": "source",
    "destination": "destination",
    "engine": "engine",
    "source_format": "sourceFormat",
    "damaged_objects": "damagedObjects",
    "cos_endpoint": "cosEndpoint",
    "auth_type": "authType",
    "iam_endpoint": "iamEndpoint",
    "lake_location": "lakeLocation",
}


def add_datasource_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("datasource (a settings file, flags, or both; flags win)")
    group.add_argument("--settings", type=Path, help='JSON file {"jsonData": {...}, "secureJsonData": {...}}')
    group.add_argument("--source", help="cos://<region>/<bucket>/<prefix> or an absolute folder")
    group.add_argument("--destination", help="where $__dest writes (cos://… or a folder)")
    group.add_argument("--engine", help="duckdb (default), spark or dataengine")
    group.add_argument("--source-format", help="flowlogs (default), json, parquet or csv")
    group.add_argument(
        "--damaged-objects", help="skip (default: leave damaged flow-log objects out, with a warning) or fail"
    )
    group.add_argument("--cos-endpoint", help="COS endpoint override, e.g. http://127.0.0.1:9000")
    group.add_argument("--auth-type", help="none, iam or hmac")
    group.add_argument("--iam-endpoint", help="IAM endpoint override")
    group.add_argument("--lake-location", help="the flow lake: cos://… or a folder inside the datasource's locations")
    group.add_argument("--cache-dir", type=Path, help="cache folder (default: GF_PLUGIN_CACHE_DIR or the user's)")


def context_from_args(args: argparse.Namespace, env: Mapping[str, str] | None = None) -> pb.PluginContext:
    env = os.environ if env is None else env
    stored: dict[str, Any] = json.loads(args.settings.read_text()) if args.settings else {}
    json_data = dict(stored.get("jsonData") or {})
    for attribute, key in _FLAGS.items():
        value = getattr(args, attribute, None)
        if value is not None:
            json_data[key] = value
    # relative folders are relative to the caller, not to the plugin
    for key in ("source", "destination", "lakeLocation"):
        value = json_data.get(key)
        if isinstance(value, str) and value and "://" not in value:
            json_data[key] = str(Path(value).resolve())
    secure = {str(k): str(v) for k, v in (stored.get("secureJsonData") or {}).items()}
    secure.update({key: env[name] for key, name in SECRET_ENV.items() if env.get(name)})
    return datasource_context(
        json_data, secure, uid=str(stored.get("uid") or "cli"), name=str(stored.get("name") or "cli")
    )
