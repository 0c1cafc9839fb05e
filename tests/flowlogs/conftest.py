"""Generated flow-log folders shared by the flow-log tests (real gzip JSON on disk)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cloudsql_cos_ts.flowlogs.generator import GenerationSummary, generate

WEEK_END = datetime(2026, 5, 8, tzinfo=UTC)


@pytest.fixture(scope="session")
def week_set(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GenerationSummary]:
    """2 vNICs x 7 days, few records per object: pruning and view tests."""
    folder = tmp_path_factory.mktemp("week")
    summary = generate(folder, vnics=2, start=WEEK_END - timedelta(days=7), end=WEEK_END, records_per_object=2)
    return folder, summary


@pytest.fixture(scope="session")
def day_set(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GenerationSummary]:
    """4 vNICs x 6 hours with the default traffic mix: generator guarantees and view content."""
    folder = tmp_path_factory.mktemp("day")
    summary = generate(folder, vnics=4, start=WEEK_END - timedelta(hours=6), end=WEEK_END, records_per_object=30)
    return folder, summary
