"""Fixtures of the Data Engine tests: the S3 test server with flow logs, IAM, and the fake service.

The same generated flow logs are also written to a local folder, so the DuckDB engine can answer
the same queries for comparison.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cloudsql_cos_ts.flowlogs.generator import GenerationSummary, generate
from cloudsql_cos_ts.settings.datasource import Credentials, DatasourceSettings, parse_datasource_settings
from cloudsql_cos_ts.settings.secret import Secret
from cloudsql_cos_ts.storage.cos import CosStore
from tests.engines.dataengine_fake import CRN, FakeDataEngine
from tests.storage.conftest import BUCKET, GOOD_API_KEY, HMAC_ID, HMAC_SECRET, iam_endpoint, s3_endpoint

__all__ = ["Lab", "data_engine", "iam_endpoint", "lab", "lab_data", "s3_endpoint"]

START = datetime(2024, 5, 6, 0, 0, tzinfo=UTC)
END = datetime(2024, 5, 6, 2, 0, tzinfo=UTC)
FROM_MS, TO_MS = int(START.timestamp() * 1000), int(END.timestamp() * 1000)
HMAC = Credentials(
    auth="hmac", hmac_access_key_id=Secret(HMAC_ID), hmac_secret_access_key=Secret(HMAC_SECRET)
)
SECURE = {"apiKey": GOOD_API_KEY, "hmacAccessKeyId": HMAC_ID, "hmacSecretAccessKey": HMAC_SECRET}


@dataclass
class Lab:
    """Everything a Data Engine test needs; ``json_data()`` is a working datasource's jsonData."""

    service: FakeDataEngine
    s3: str
    iam: str
    local_copy: Path  # the same flow logs in a folder, for the DuckDB engine
    summary: GenerationSummary

    def json_data(self, **changes: Any) -> dict[str, Any]:
        data = {
            "engine": "dataengine",
            "dataEngineInstanceCrn": CRN,
            "dataEngineApiUrl": self.service.url,
            "source": f"cos://us-south/{BUCKET}/flows/",
            "destination": f"cos://us-south/{BUCKET}/results/",
            "cosEndpoint": self.s3,
            "authType": "hmac",
            "iamEndpoint": self.iam,
        }
        data.update(changes)
        return {k: v for k, v in data.items() if v is not None}

    def settings(self, secure: Mapping[str, str] = SECURE, **changes: Any) -> DatasourceSettings:
        return parse_datasource_settings(
            uid="de", name="de", last_updated_ms=1, json_data=json.dumps(self.json_data(**changes)).encode(),
            secure=secure,
        )


@pytest.fixture(scope="session")
def data_engine(s3_endpoint: str) -> Iterator[FakeDataEngine]:
    service = FakeDataEngine(s3_endpoint, HMAC).start()
    yield service
    service.stop()


@pytest.fixture(scope="session")
def lab_data(
    data_engine: FakeDataEngine, s3_endpoint: str, iam_endpoint: str, tmp_path_factory: pytest.TempPathFactory
) -> Lab:
    local = tmp_path_factory.mktemp("dataengine") / "flows"
    options: dict[str, Any] = {"vnics": 2, "start": START, "end": END, "records_per_object": 6, "seed": 11}
    summary = generate(local, **options)
    generate(CosStore(s3_endpoint, BUCKET, HMAC), prefix="flows/", **options)
    return Lab(data_engine, s3_endpoint, iam_endpoint, local, summary)


@pytest.fixture
def lab(lab_data: Lab) -> Lab:
    """The lab with the fake service reset: no pending 429s, failures, hanging jobs or recorded calls."""
    lab_data.service.reset()
    return lab_data
