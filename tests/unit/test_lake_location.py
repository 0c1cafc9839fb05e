"""``lakeLocation``: accepted only inside the datasource's source, destination or allowed locations."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.settings.datasource import parse_datasource_settings
from cloudsql_cos_ts.settings.locations import CosLocation, LocalLocation

SOURCE = "cos://us-south/flows/ibm_vpc_flowlogs_v1/"
SECURE = {"hmacAccessKeyId": "id", "hmacSecretAccessKey": "secret"}


def parse(json_data: dict[str, Any]) -> Any:
    return parse_datasource_settings(
        uid="u", name="n", last_updated_ms=1, json_data=json.dumps(json_data).encode(), secure=SECURE
    )


@pytest.mark.parametrize(
    ("extra", "lake"),
    [
        ({}, "cos://us-south/flows/ibm_vpc_flowlogs_v1/lake/"),
        ({"destination": "cos://us-south/results/out/"}, "cos://us-south/results/out/lake/"),
        ({"allowedLocations": ["cos://us-south/lakes/"]}, "cos://us-south/lakes/flows/"),
        ({"allowedLocations": ["/srv/lakes"]}, "/srv/lakes/flows"),
    ],
    ids=["below the source", "below the destination", "an allowed location", "an allowed folder"],
)
def test_a_lake_inside_the_locations_is_taken(extra: dict[str, Any], lake: str) -> None:
    settings = parse({"source": SOURCE, **extra, "lakeLocation": lake})
    assert isinstance(settings.lake, CosLocation | LocalLocation)
    assert settings.lake.describe().rstrip("/") == lake.rstrip("/")


@pytest.mark.parametrize(
    ("lake", "said"),
    [
        ("cos://us-south/flows/other/", "outside this datasource's locations"),
        ("cos://us-south/flows/ibm_vpc_flowlogs_v1/../lake/", "'.', '..'"),
        ("/srv/lakes", "outside this datasource's locations"),
        ("relative/lake", "absolute"),
        (["cos://us-south/flows/lake/"], "lakeLocation must be"),
    ],
    ids=["another prefix", "dot segments", "a local folder", "a relative folder", "not a string"],
)
def test_a_lake_elsewhere_is_a_400_naming_the_setting(lake: Any, said: str) -> None:
    with pytest.raises(BadRequest, match="lakeLocation") as refused:
        parse({"source": SOURCE, "lakeLocation": lake})
    assert said in refused.value.message


def test_no_lake_by_default() -> None:
    assert parse({"source": SOURCE}).lake is None
    assert parse({"source": SOURCE, "lakeLocation": " "}).lake is None
