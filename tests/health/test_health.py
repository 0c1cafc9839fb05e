"""Save & test, stage by stage, against a real S3 server, a local IAM token endpoint and local folders.

Every broken configuration is checked for the exact message a user reads in Grafana, and every
report for the absence of the secrets that were configured.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cloudsql_cos_ts.flowlogs.generator import generate
from cloudsql_cos_ts.health.check import check_health
from cloudsql_cos_ts.health.source import EXPECTED_LAYOUT
from cloudsql_cos_ts.health.stages import HealthReport
from cloudsql_cos_ts.instances import InstanceManager
from cloudsql_cos_ts.proto import backend_pb2 as pb
from cloudsql_cos_ts.settings.datasource import Credentials
from cloudsql_cos_ts.settings.plugin import PluginSettings
from cloudsql_cos_ts.settings.secret import Secret
from cloudsql_cos_ts.storage.cos import CosStore
from tests.health.stages import STAGES
from tests.plugin_host import PluginProcess, datasource_context
from tests.real_objects import cases as real_objects
from tests.storage.conftest import BUCKET, GOOD_API_KEY, HMAC_ID, HMAC_SECRET

START = datetime(2024, 5, 6, 0, 0, tzinfo=UTC)
END = datetime(2024, 5, 6, 1, 0, tzinfo=UTC)
BAD_KEY = "wrong-api-key-must-not-show"
HMAC_SECURE = {"hmacAccessKeyId": HMAC_ID, "hmacSecretAccessKey": HMAC_SECRET}


@pytest.fixture(scope="module")
def flow_bucket(s3_endpoint: str) -> str:
    """The test bucket: flow logs under health-ok/, other files under health-wrong/."""
    hmac = Credentials(auth="hmac", hmac_access_key_id=Secret(HMAC_ID), hmac_secret_access_key=Secret(HMAC_SECRET))
    store = CosStore(s3_endpoint, BUCKET, hmac)
    generate(store, vnics=1, start=START, end=END, records_per_object=5, seed=3, prefix="health-ok/")
    store.put("health-wrong/logs/2024/05/06/flows.json.gz", b"{}")
    store.put("health-wrong/readme.txt", b"not flow logs")
    return s3_endpoint


@pytest.fixture(scope="module")
def local_flowlogs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("health") / "flowlogs"
    generate(folder, vnics=1, start=START, end=END, records_per_object=5, seed=3)
    return folder


@pytest.fixture
def instances(tmp_path: Path) -> Iterator[InstanceManager]:
    manager = InstanceManager(PluginSettings(cache_dir=tmp_path / "cache"))
    yield manager
    manager.close()


def check(instances: InstanceManager, json_data: dict[str, Any], secure: dict[str, str] | None = None) -> HealthReport:
    report = check_health(instances, datasource_context(json_data, secure))
    text = report.message + report.details_json().decode()
    for secret in (*(secure or {}).values(), BAD_KEY):
        assert secret not in text
    return report


def statuses(report: HealthReport) -> dict[str, str]:
    return {stage.name: stage.status for stage in report.stages}


def iam_settings(s3: str, iam: str, prefix: str = "health-ok/", **extra: str) -> dict[str, str]:
    return {
        "source": f"cos://us-south/{BUCKET}/{prefix}",
        "cosEndpoint": s3,
        "authType": "iam",
        "iamEndpoint": iam,
        **extra,
    }


def test_local_folder_walks_every_stage(instances: InstanceManager, local_flowlogs: Path, tmp_path: Path) -> None:
    report = check(instances, {"source": str(local_flowlogs), "destination": str(tmp_path / "results")})
    assert report.ok, report.message
    assert [s.name for s in report.stages] == list(STAGES)
    assert set(statuses(report).values()) == {"ok"}
    details = {s.name: s.detail for s in report.stages}
    assert details["credentials"] == "not needed for a local folder"
    # the last window straddles 01:00: IBM files an object under the hour its window ends in
    assert details["source"].startswith("newest folder year=2024/month=05/day=06/hour=01/stream-id=")
    assert "header and record fields present" in details["scan"]
    assert details["destination"] == f"wrote and removed a probe object in the folder {tmp_path / 'results'}"
    assert list((tmp_path / "results").iterdir()) == []
    assert details["engine"].startswith("DuckDB ")
    assert report.message.startswith("Data source is working (settings: engine duckdb")


def test_iam_bucket_all_stages_pass(instances: InstanceManager, flow_bucket: str, iam_endpoint: str) -> None:
    report = check(
        instances,
        iam_settings(flow_bucket, iam_endpoint, destination=f"cos://us-south/{BUCKET}/health-results/"),
        {"apiKey": GOOD_API_KEY},
    )
    assert report.ok, report.message
    assert set(statuses(report).values()) == {"ok"}
    assert report.stages[1].detail == "IAM accepted the API key (token obtained)"
    assert (
        report.stages[4].detail
        == f"wrote and removed a probe object in the prefix cos://us-south/{BUCKET}/health-results/"
    )


def test_hmac_signature_accepted(instances: InstanceManager, flow_bucket: str) -> None:
    json_data = {"source": f"cos://us-south/{BUCKET}/health-ok/", "cosEndpoint": flow_bucket, "authType": "hmac"}
    report = check(instances, json_data, HMAC_SECURE)
    assert report.ok, report.message
    assert report.stages[1].detail == f"HMAC signature accepted by {flow_bucket}"


def test_bad_api_key(instances: InstanceManager, flow_bucket: str, iam_endpoint: str) -> None:
    report = check(instances, iam_settings(flow_bucket, iam_endpoint), {"apiKey": BAD_KEY})
    assert not report.ok
    assert report.message == (
        "credentials failed: the IBM Cloud API key was refused by IAM (HTTP 400, BXNIM0415E): check the API key "
        "in the datasource's secure settings, and that it is not deleted or locked"
    )
    assert statuses(report) == {
        "settings": "ok",
        "credentials": "error",
        "source": "skipped",
        "scan": "skipped",
        "destination": "skipped",
        "enrichment": "skipped",
        "engine": "skipped",
    }


def test_bad_bucket(instances: InstanceManager, flow_bucket: str, iam_endpoint: str) -> None:
    json_data = {**iam_settings(flow_bucket, iam_endpoint), "source": "cos://us-south/no-such-bucket/flows/"}
    report = check(instances, json_data, {"apiKey": GOOD_API_KEY})
    assert not report.ok
    assert report.message == (
        f"source failed: the bucket 'no-such-bucket' at {flow_bucket} does not exist: check the bucket name and the "
        "region or endpoint of the location"
    )
    assert statuses(report)["credentials"] == "ok"


def test_empty_prefix_is_a_warning_naming_the_layout(
    instances: InstanceManager, flow_bucket: str, iam_endpoint: str
) -> None:
    report = check(instances, iam_settings(flow_bucket, iam_endpoint, "nothing-here/"), {"apiKey": GOOD_API_KEY})
    assert report.ok
    warning = (
        f"no flow logs below cos://us-south/{BUCKET}/nothing-here/ yet (a new collector writes its first objects "
        f"within about ten minutes); expected keys like {EXPECTED_LAYOUT}"
    )
    assert report.stages[2].detail == warning
    assert statuses(report)["source"] == statuses(report)["scan"] == "warning"
    assert f"Warnings: source: {warning}; scan: nothing to read" in report.message


def test_wrong_layout_is_a_warning_showing_what_was_found(
    instances: InstanceManager, flow_bucket: str, iam_endpoint: str
) -> None:
    report = check(instances, iam_settings(flow_bucket, iam_endpoint, "health-wrong/"), {"apiKey": GOOD_API_KEY})
    assert report.ok
    assert report.stages[2].detail == (
        f"no flow-log key layout below cos://us-south/{BUCKET}/health-wrong/ (found 'health-wrong/logs/'): point "
        f"the source at the bucket prefix that holds keys like {EXPECTED_LAYOUT}, or set the source format"
    )
    assert EXPECTED_LAYOUT.startswith("ibm_vpc_flowlogs_v1/account=…/") and EXPECTED_LAYOUT.endswith("NNNNNNNN.gz")


def test_object_that_is_not_a_flow_log_fails_the_scan(instances: InstanceManager, tmp_path: Path) -> None:
    vnic = tmp_path / "src" / "ibm_vpc_flowlogs_v1/account=a/region=r/vpc-id=v/subnet-id=s/endpoint-type=vnics"
    hour = vnic / "instance-id=i/vnic-id=n/record-type=all/year=2024/month=05/day=06/hour=00/stream-id=x"
    hour.mkdir(parents=True)
    (hour / "00000001.gz").write_bytes(b'{"version": "0.0.1", "flow_logs": []}')
    report = check(instances, {"source": str(tmp_path / "src")})
    assert report.message == (
        "scan failed: ibm_vpc_flowlogs_v1/account=a/region=r/vpc-id=v/subnet-id=s/endpoint-type=vnics/"
        "instance-id=i/vnic-id=n/record-type=all/year=2024/month=05/day=06/hour=00/stream-id=x/00000001.gz is not "
        "an IBM flow-log document (missing collector_crn, attached_endpoint_type, network_interface_id, "
        "instance_crn, vpc_crn, capture_start_time, capture_end_time, state, number_of_flow_logs): point the "
        "source at flow logs, or set the source format to what the objects hold"
    )


def test_an_empty_newest_window_passes_the_scan(instances: InstanceManager, tmp_path: Path) -> None:
    """IBM's collector writes an object with no records for a window without traffic: nothing is wrong."""
    (written,) = real_objects.write(tmp_path / "src", names=["no_traffic"])
    report = check(instances, {"source": str(tmp_path / "src")})
    assert report.ok and statuses(report)["scan"] == "ok", report.message
    assert report.stages[3].detail.startswith(f"read {written.key.rpartition('/')[2]} (")
    assert "no records (a window without traffic)" in report.stages[3].detail


@pytest.mark.parametrize(
    ("case", "policy", "detail"),
    [
        ("truncated_gzip", "skip", "is not valid gzip: flow-log objects are gzip-compressed JSON; queries leave "
         "damaged objects out and say so in a warning"),
        ("invalid_json", "skip", "is not valid JSON: flow-log objects are gzip-compressed JSON; queries leave "
         "damaged objects out and say so in a warning"),
        ("invalid_json", "fail", "is not valid JSON: flow-log objects are gzip-compressed JSON; queries fail "
         "on damaged objects (damagedObjects: fail)"),
    ],
)
def test_damaged_newest_object_is_reported_by_the_scan(
    instances: InstanceManager, tmp_path: Path, case: str, policy: str, detail: str
) -> None:
    """Damaged is a warning while queries skip such objects (the default), an error when they fail on them."""
    (written,) = real_objects.write(tmp_path / "src", names=[case])
    report = check(instances, {"source": str(tmp_path / "src"), "damagedObjects": policy})
    assert report.ok is (policy == "skip")
    assert statuses(report)["scan"] == ("warning" if policy == "skip" else "error")
    assert report.stages[3].detail == f"{written.key} {detail}"


def test_unwritable_destination_folder(instances: InstanceManager, local_flowlogs: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("a file where the destination folder should be")
    report = check(instances, {"source": str(local_flowlogs), "destination": str(blocker / "results")})
    assert report.message == (
        f"destination failed: cannot write into the destination folder {blocker / 'results'} (Not a directory): "
        "give the Grafana server's user write access to it or choose another folder"
    )
    assert statuses(report)["engine"] == "skipped"


def test_missing_destination_bucket(instances: InstanceManager, flow_bucket: str) -> None:
    json_data = {
        "source": f"cos://us-south/{BUCKET}/health-ok/",
        "cosEndpoint": flow_bucket,
        "authType": "hmac",
        "destination": "cos://us-south/no-results-bucket/grafana/",
    }
    report = check(instances, json_data, HMAC_SECURE)
    assert report.message == (
        f"destination failed: the bucket 'no-results-bucket' at {flow_bucket} does not exist: check the bucket "
        "name and the region or endpoint of the location"
    )


def test_invalid_settings_name_the_field(instances: InstanceManager) -> None:
    report = check(instances, {"source": "relative/path"})
    assert report.message == "settings failed: source must be an absolute folder path (got 'relative/path')"
    assert statuses(report)["credentials"] == "skipped"


def test_hung_iam_endpoint_does_not_hang_the_check(
    instances: InstanceManager, flow_bucket: str, silent_endpoint: str
) -> None:
    started = time.monotonic()
    report = check(instances, iam_settings(flow_bucket, silent_endpoint), {"apiKey": GOOD_API_KEY})
    assert time.monotonic() - started < 6
    assert report.message == (
        f"credentials failed: the IAM token endpoint {silent_endpoint}/identity/token did not answer within 4 s: "
        "check the IAM endpoint setting and the network"
    )


@pytest.fixture
def refusing_endpoint() -> str:
    """A loopback port nobody listens on: the connection is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


REFUSED = (
    "cannot reach the COS endpoint {url}: check the region or endpoint of the location and that the plugin's machine "
    "can connect to it"
)
SILENT = (
    "no answer within 5.0 s from the COS endpoint {url}: check the endpoint settings (COS region or endpoint, IAM "
    "endpoint) and that the plugin's machine can reach them"
)


@dataclass(frozen=True)
class Unreachable:
    endpoint: str  # the fixture serving it
    auth: str
    message: str  # {url} is the endpoint
    seconds: tuple[float, float]  # how long Save & test may take, with slack for a busy machine


@pytest.mark.parametrize(
    "case",
    [
        # refused: no retry, no back-off; the COS layer names the endpoint
        Unreachable("refusing_endpoint", "hmac", "credentials failed: " + REFUSED, (0, 1.5)),
        Unreachable("refusing_endpoint", "none", "source failed: " + REFUSED, (0, 1.5)),
        # silent: only the stage's limit ends the wait, and its message still names the endpoint
        Unreachable("silent_endpoint", "hmac", "credentials failed: " + SILENT, (4.5, 6.5)),
        Unreachable("silent_endpoint", "none", "source failed: " + SILENT, (4.5, 6.5)),
    ],
    ids=["refused-hmac", "refused-anonymous", "silent-hmac", "silent-anonymous"],
)
def test_a_refused_endpoint_fails_at_once_and_a_silent_one_at_the_stage_limit(
    instances: InstanceManager, request: pytest.FixtureRequest, case: Unreachable
) -> None:
    """Issue 25: a refused connection was retried for 2-5 s, and at the 5 s limit the message lost the endpoint."""
    url = request.getfixturevalue(case.endpoint)
    json_data = {"source": f"cos://us-south/{BUCKET}/x/", "cosEndpoint": url, "authType": case.auth,
                 "allowAnonymous": True}
    started = time.monotonic()
    report = check(instances, json_data, HMAC_SECURE if case.auth == "hmac" else {})
    elapsed = time.monotonic() - started
    assert report.message == case.message.format(url=url)
    assert case.seconds[0] <= elapsed < case.seconds[1], elapsed


def test_check_health_over_grpc(plugin: PluginProcess, local_flowlogs: Path) -> None:
    good = pb.CheckHealthRequest(pluginContext=datasource_context({"source": str(local_flowlogs)}, uid="h1"))
    answer = plugin.diagnostics.CheckHealth(good, timeout=20)
    assert answer.status == pb.CheckHealthResponse.OK, answer.message
    stages = json.loads(answer.jsonDetails)["stages"]
    assert [s["name"] for s in stages] == list(STAGES)
    assert all(set(s) == {"name", "status", "ms", "detail"} for s in stages)
    bad = pb.CheckHealthRequest(pluginContext=datasource_context({"source": "/no/such/folder"}, uid="h2"))
    answer = plugin.diagnostics.CheckHealth(bad, timeout=20)
    assert answer.status == pb.CheckHealthResponse.ERROR
    assert answer.message.startswith("source failed: the source folder /no/such/folder does not exist")
    assert json.loads(answer.jsonDetails)["stages"][2]["status"] == "error"
