from __future__ import annotations

import pytest

from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.macros.interval import format_interval, parse_interval_ms


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("'5m'", 300_000),
        ("5m", 300_000),
        ("1h", 3_600_000),
        ("30s", 30_000),
        ("500ms", 500),
        ("1d", 86_400_000),
        ("1w", 604_800_000),
        ("1y", 31_536_000_000),
        ("1.5s", 1500),
        ("60000", 60_000),
        ('"2h"', 7_200_000),
    ],
)
def test_parse(text: str, ms: int) -> None:
    assert parse_interval_ms(text, where="w") == ms


@pytest.mark.parametrize("text", ["", "m", "5 minutes", "-1m", "1x"])
def test_parse_refuses(text: str) -> None:
    with pytest.raises(BadRequest, match="is not an interval"):
        parse_interval_ms(text, where="w")


@pytest.mark.parametrize(
    ("ms", "text"), [(300_000, "5m"), (3_600_000, "1h"), (90_000, "90s"), (1500, "1500ms"), (172_800_000, "2d")]
)
def test_format(ms: int, text: str) -> None:
    assert format_interval(ms) == text
