"""One org never sees another org's flow logs, through the plugin process Grafana starts.

Grafana datasource uids are unique only within an org, and ``lastUpdatedMS`` has one-second
precision, so provisioning the same file into two orgs gives two datasources with the same uid and
the same version but different buckets and credentials. Each must be answered from its own bucket
with its own credentials — by the live instance, by the result cache and by the replay of identical
requests — also when both orgs' queries arrive at the same time.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from cloudsql_cos_ts.flowlogs.generator import generate
from cloudsql_cos_ts.proto import backend_pb2 as pb
from cloudsql_cos_ts.settings.datasource import Credentials
from cloudsql_cos_ts.settings.secret import Secret
from cloudsql_cos_ts.storage.cos import CosStore
from tests.plugin_host import PluginProcess, data_query, datasource_context, decode_frames
from tests.storage.conftest import BUCKET, GOOD_API_KEY, HMAC_ID, HMAC_SECRET

START = datetime(2024, 5, 6, 10, 0, tzinfo=UTC)
END = datetime(2024, 5, 6, 12, 0, tzinfo=UTC)
SHARED_UID = "vpc-flow-logs"
SAME_SECOND_MS = 1_733_400_000_000  # both orgs provisioned within one second
ROUNDS = 8
SQL = "SELECT count(*) AS n, min(target_ip) AS low, max(target_ip) AS high FROM FLOW_FLAT"


@dataclass(frozen=True)
class Org:
    org_id: int
    datasource_id: int
    prefix: str
    vnics: int
    auth: str


ORGS = (Org(1, 11, "org-one/", 2, "hmac"), Org(2, 12, "org-two/", 3, "iam"))


def org_context(org: Org, s3_endpoint: str, iam_endpoint: str, *, cache_ttl_s: int) -> pb.PluginContext:
    json_data = {
        "source": f"cos://us-south/{BUCKET}/{org.prefix}",
        "cosEndpoint": s3_endpoint,
        "authType": org.auth,
        "iamEndpoint": iam_endpoint,
        "cacheTtlSeconds": cache_ttl_s,
    }
    secure = (
        {"hmacAccessKeyId": HMAC_ID, "hmacSecretAccessKey": HMAC_SECRET} if org.auth == "hmac"
        else {"apiKey": GOOD_API_KEY}
    )
    context = datasource_context(json_data, secure, uid=SHARED_UID, version=SAME_SECOND_MS)
    context.orgId = org.org_id
    context.dataSourceInstanceSettings.id = org.datasource_id
    return context


@pytest.fixture(scope="module")
def expected_rows(s3_endpoint: str) -> dict[int, tuple[object, ...]]:
    """Each org's own answer, computed by the same SQL over its own bucket prefix alone."""
    hmac = Credentials(auth="hmac", hmac_access_key_id=Secret(HMAC_ID), hmac_secret_access_key=Secret(HMAC_SECRET))
    answers = {}
    for org in ORGS:
        summary = generate(
            CosStore(s3_endpoint, BUCKET, hmac), vnics=org.vnics, start=START, end=END, records_per_object=5,
            seed=org.org_id, prefix=org.prefix,
        )
        answers[org.org_id] = (summary.records,)
    assert answers[1] != answers[2]
    return answers


@pytest.fixture(scope="module")
def plugin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PluginProcess]:
    process = PluginProcess(cache_dir=tmp_path_factory.mktemp("isolation") / "cache").start()
    yield process
    process.stop()


def ask(plugin: PluginProcess, context: pb.PluginContext) -> tuple[object, ...]:
    window = {"from_ms": int(START.timestamp() * 1000), "to_ms": int(END.timestamp() * 1000)}
    answer = plugin.query(data_query("A", {"rawSql": SQL}, **window), context=context, timeout=120)["A"]
    assert answer.status == 200, answer.error
    (row,) = decode_frames(answer)[0].to_pylist()
    return (row["n"], row["low"], row["high"])


@pytest.mark.parametrize("cache_ttl_s", [0, 300], ids=["result-cache-off", "result-cache-on"])
def test_two_orgs_with_one_uid_see_only_their_own_rows(
    plugin: PluginProcess, s3_endpoint: str, iam_endpoint: str, expected_rows: dict[int, tuple[object, ...]],
    cache_ttl_s: int,
) -> None:
    contexts = {org.org_id: org_context(org, s3_endpoint, iam_endpoint, cache_ttl_s=cache_ttl_s) for org in ORGS}
    alone = {org_id: ask(plugin, context) for org_id, context in contexts.items()}
    assert {org_id: row[:1] for org_id, row in alone.items()} == expected_rows
    assert alone[1] != alone[2]
    calls = [org_id for _ in range(ROUNDS) for org_id in contexts]
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        seen = list(pool.map(lambda org_id: (org_id, ask(plugin, contexts[org_id])), calls))
    assert all(row == alone[org_id] for org_id, row in seen), seen


def test_an_edit_within_the_same_second_is_not_missed(
    plugin: PluginProcess, s3_endpoint: str, iam_endpoint: str, expected_rows: dict[int, tuple[object, ...]],
) -> None:
    """Grafana keeps the version when an edit lands in the same second: the settings decide."""
    first, second = ORGS
    context = org_context(first, s3_endpoint, iam_endpoint, cache_ttl_s=300)
    assert ask(plugin, context)[:1] == expected_rows[first.org_id]
    moved = org_context(second, s3_endpoint, iam_endpoint, cache_ttl_s=300)
    moved.orgId, moved.dataSourceInstanceSettings.id = first.org_id, first.datasource_id
    assert ask(plugin, moved)[:1] == expected_rows[second.org_id]


def test_another_orgs_wrong_credentials_never_borrow_the_first_orgs(
    plugin: PluginProcess, s3_endpoint: str, iam_endpoint: str, expected_rows: dict[int, tuple[object, ...]],
) -> None:
    """Org 2's datasource with a wrong API key fails its own way, though org 1's is open and answered."""
    first, second = ORGS
    assert ask(plugin, org_context(first, s3_endpoint, iam_endpoint, cache_ttl_s=300))[:1] == expected_rows[1]
    wrong = org_context(second, s3_endpoint, iam_endpoint, cache_ttl_s=300)
    wrong.dataSourceInstanceSettings.decryptedSecureJsonData["apiKey"] = "not-the-key"
    window = {"from_ms": int(START.timestamp() * 1000), "to_ms": int(END.timestamp() * 1000)}
    answer = plugin.query(data_query("A", {"rawSql": SQL}, **window), context=wrong, timeout=120)["A"]
    assert answer.status >= 400 and not answer.frames, (answer.status, answer.error)
    assert "API key was refused" in answer.error
    health = plugin.diagnostics.CheckHealth(pb.CheckHealthRequest(pluginContext=wrong), timeout=60)
    assert health.status == pb.CheckHealthResponse.ERROR
