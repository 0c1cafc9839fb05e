"""Flow-log key parsing and formatting, with URL-encoded CRNs as in real keys."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cloudsql_cos_ts.flowlogs.layout import (
    FlowLogKey,
    VnicPartition,
    format_key,
    hour_suffix,
    parse_key,
    stream_id_for,
)

VPC_CRN = "crn:v1:bluemix:public:is:us-south:a/abc123::vpc:r006-0f1e2d3c"
REAL_KEY = (
    "ibm_vpc_flowlogs_v1/account=abc123/region=us-south/"
    "vpc-id=crn%3Av1%3Abluemix%3Apublic%3Ais%3Aus-south%3Aa%2Fabc123%3A%3Avpc%3Ar006-0f1e2d3c/"
    "subnet-id=0717-aaaa/endpoint-type=vnics/instance-id=0717_bbbb/vnic-id=0717-cccc/record-type=ingress/"
    "year=2024/month=03/day=05/hour=07/stream-id=20240305T070012Z/00000012.gz"
)


def test_parse_real_key_decodes_crn() -> None:
    key = parse_key(REAL_KEY)
    assert key == FlowLogKey(
        VnicPartition("abc123", "us-south", VPC_CRN, "0717-aaaa", "vnics", "0717_bbbb", "0717-cccc", "ingress"),
        hour_start=datetime(2024, 3, 5, 7, tzinfo=UTC), stream_id="20240305T070012Z", sequence=12,
    )


def test_format_is_inverse_of_parse() -> None:
    key = parse_key(REAL_KEY)
    assert key is not None
    assert format_key(key) == REAL_KEY


@pytest.mark.parametrize("prefix", ["", "some/bucket/prefix/", "/data/flows/"])
def test_parse_below_any_prefix(prefix: str) -> None:
    assert parse_key(prefix + REAL_KEY) == parse_key(REAL_KEY)


@pytest.mark.parametrize(
    "bad",
    [
        REAL_KEY.replace("00000012.gz", "00000012.json"),
        REAL_KEY.replace("hour=07", "hour=xx"),
        REAL_KEY.replace("month=03", "month=13"),
        REAL_KEY.replace("/stream-id=", "/stream=").replace("stream=", "stream-x="),
        REAL_KEY.replace("vnic-id=", "nic-id="),
        "ibm_vpc_flowlogs_v1/account=abc/00000001.gz",
        "",
    ],
)
def test_not_a_flow_log_key(bad: str) -> None:
    assert parse_key(bad) is None


def test_hour_helpers() -> None:
    assert hour_suffix(datetime(2024, 3, 5, 7, 59, tzinfo=UTC)) == "year=2024/month=03/day=05/hour=07/"
    assert stream_id_for(datetime(2024, 3, 5, 7, 0, 12, tzinfo=UTC)) == "20240305T070012Z"


def test_keys_of_one_stream_folder_share_its_parsed_values() -> None:
    """The folder is parsed once (memoised); each key still gets its own sequence number."""
    first, later = parse_key(REAL_KEY), parse_key(REAL_KEY.replace("00000012.gz", "00000013.gz"))
    assert first is not None and later is not None
    assert (first.sequence, later.sequence) == (12, 13)
    assert later.vnic is first.vnic and later.hour_start == first.hour_start
    assert parse_key(REAL_KEY.replace("record-type=ingress", "record-type=egress")) == FlowLogKey(
        first.vnic._replace(record_type="egress"), first.hour_start, first.stream_id, 12
    )
