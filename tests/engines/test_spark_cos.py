"""Spark reads COS through S3A: the real Spark Connect server (started with the S3A jars by
``scripts/spark_connect.sh``) against the S3 test server, behind a front that lets each bucket
answer only its own HMAC key (``s3_keys.py``).

Two datasources on two buckets with different keys read their own data, each with its own keys
only; a third datasource with other keys for the first one's bucket is refused even after the first
one's reads (Hadoop's cached connectors are per credential set); and the keys' secrets — canary
values — never appear in an answer, an error, a log line or anything a query can make Spark print.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from cloudsql_cos_ts.flowlogs.generator import generate
from cloudsql_cos_ts.settings.datasource import Credentials
from cloudsql_cos_ts.settings.secret import Secret
from cloudsql_cos_ts.storage.cos import CosStore, client_for
from tests.engines.dataengine_fixtures import END, FROM_MS, START, TO_MS
from tests.engines.inprocess import Answer, InProcessPlugin
from tests.engines.s3_keys import KeyCheckingS3, key_checking_s3
from tests.plugin_host import data_query

ORG_A = ("org-a-flows", "org-a-key", "canary-secret-a-5f1d3c9e")
ORG_B = ("org-b-flows", "org-b-key", "canary-secret-b-9a7e2b41")
INTRUDER = ("org-a-flows", "intruder-key", "canary-secret-c-3b8d6f02")
CANARIES = tuple(secret for _, _, secret in (ORG_A, ORG_B, INTRUDER))
PLAIN_ROWS = b'{"org": "a", "n": 1}\n{"org": "a", "n": 2}\n'


@dataclass
class CosLab:
    s3: KeyCheckingS3
    spark_url: str
    cache: Any  # pytest's tmp_path_factory

    def plugin(
        self, org: tuple[str, str, str], engine: str = "spark", prefix: str = "flows/", **changes: Any
    ) -> InProcessPlugin:
        bucket, key_id, secret = org
        json_data = {"engine": engine, "source": f"cos://us-south/{bucket}/{prefix}", "cosEndpoint": self.s3.url,
                     "authType": "hmac", **changes}
        if engine == "spark":
            json_data["sparkUrl"] = self.spark_url
        return InProcessPlugin(json_data, self.cache.mktemp("cos-plugin"), f"{engine}-{bucket}-{key_id}",
                               secure={"hmacAccessKeyId": key_id, "hmacSecretAccessKey": secret})


@pytest.fixture(scope="module")
def lab(s3_endpoint: str, spark_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CosLab]:
    writer = Credentials(auth="hmac", hmac_access_key_id=Secret("writer"), hmac_secret_access_key=Secret("writer"))
    for (bucket, _, _), per_object in ((ORG_A, 5), (ORG_B, 7)):
        client_for(s3_endpoint, writer).create_bucket(Bucket=bucket)
        store = CosStore(s3_endpoint, bucket, writer)
        generate(store, prefix="flows/", vnics=2, start=START, end=END, records_per_object=per_object, seed=per_object)
        client_for(s3_endpoint, writer).put_object(Bucket=bucket, Key="plain/rows.json", Body=PLAIN_ROWS)
    with key_checking_s3(s3_endpoint, {ORG_A[0]: ORG_A[1], ORG_B[0]: ORG_B[1]}) as s3:
        yield CosLab(s3, spark_url, tmp_path_factory)


def ask(plugin: InProcessPlugin, sql: str, fmt: str = "table") -> Answer:
    model = {"rawSql": sql, "format": fmt, "timeColumn": "start_time"}
    return plugin.run(data_query("A", model, from_ms=FROM_MS, to_ms=TO_MS))["A"]


def values(answer: Answer) -> list[dict[str, Any]]:
    assert answer.status == 200, answer.error
    return [row for frame in answer.frames for row in frame.to_pylist()]


FLOW_QUERIES = [  # the dashboard's queries over COS are compared in test_spark_parity.py
    "SELECT count(*) AS n, count(DISTINCT `vnic-id`) AS vnics FROM FLOW_FLAT",
    "SELECT count(*) AS objects, min(capture_start_time) AS first FROM $__source",
]


@pytest.fixture(scope="module")
def org_answers(lab: CosLab) -> dict[str, list[list[dict[str, Any]]]]:
    """Each org's answers to FLOW_QUERIES on Spark and, as the reference, on DuckDB over the same bucket."""
    answers = {}
    for name, org in (("a", ORG_A), ("b", ORG_B)):
        for engine in ("spark", "duckdb"):
            plugin = lab.plugin(org, engine)
            try:
                answers[f"{name}-{engine}"] = [values(ask(plugin, sql)) for sql in FLOW_QUERIES]
            finally:
                plugin.close()
    return answers


def test_spark_reads_flow_logs_from_cos_as_duckdb_does(org_answers: dict[str, list[list[dict[str, Any]]]]) -> None:
    for org in ("a", "b"):
        assert org_answers[f"{org}-spark"] == org_answers[f"{org}-duckdb"]
        assert org_answers[f"{org}-spark"][0][0]["n"] > 0 and org_answers[f"{org}-spark"][0][0]["vnics"] == 2


def test_two_datasources_read_their_own_buckets_with_their_own_keys(
    lab: CosLab, org_answers: dict[str, list[list[dict[str, Any]]]]
) -> None:
    assert org_answers["a-spark"] != org_answers["b-spark"]  # 5 vs 7 records per object
    assert lab.s3.keys_used(ORG_A[0]) == {ORG_A[1]} and lab.s3.keys_used(ORG_B[0]) == {ORG_B[1]}
    assert lab.s3.denied == 0


def test_other_keys_for_a_bucket_never_ride_on_the_connector_spark_cached_for_it(lab: CosLab) -> None:
    """Spark lists and reads a plain source itself: the intruder's keys must be the ones S3A sends."""
    owner = lab.plugin(ORG_A, prefix="plain/", sourceFormat="json")
    intruder = lab.plugin(INTRUDER, prefix="plain/", sourceFormat="json")
    try:
        assert sorted(row["n"] for row in values(ask(owner, "SELECT n FROM $__source"))) == [1, 2]
        refused = ask(intruder, "SELECT n FROM $__source")
    finally:
        owner.close()
        intruder.close()
    assert refused.status >= 400 and not refused.frames
    assert "refused the datasource's HMAC keys" in refused.error and f"s3a://{INTRUDER[0]}/plain" in refused.error
    assert INTRUDER[1] in lab.s3.keys_used(INTRUDER[0])


LEAKY_QUERIES = [
    "SELECT '${fs.s3a.bucket.org-a-flows.secret.key}' AS s",
    "SELECT '${spark:fs.s3a.bucket.org-a-flows.secret.key}' AS s, '${hiveconf:fs.s3a.bucket.org-a-flows.secret.key}'",
    "EXPLAIN EXTENDED SELECT * FROM FLOW_FLAT",
    "SET fs.s3a.bucket.org-a-flows.secret.key",
    "SELECT count(*) AS n FROM FLOW_FLAT WHERE nope = 1",
    "SELECT reflect('java.lang.System', 'getProperty', 'user.name') AS r",
]


@pytest.mark.parametrize("sql", LEAKY_QUERIES)
def test_secrets_stay_out_of_answers_errors_and_logs(
    lab: CosLab, sql: str, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    plugin = lab.plugin(ORG_A)
    caplog.set_level(logging.DEBUG)
    try:
        ask(plugin, "SELECT count(*) AS n FROM FLOW_FLAT")  # the session has read the bucket
        answer = ask(plugin, sql)
    finally:
        plugin.close()
    out, err = capfd.readouterr()
    shown = [answer.error, *(frame.to_string() for frame in answer.frames), caplog.text, out, err,
             *(str(frame.to_pylist()) for frame in answer.frames)]
    assert not [canary for canary in CANARIES for text in shown if canary in text]


def test_spark_does_not_substitute_settings_or_environment_into_sql(lab: CosLab) -> None:
    plugin = lab.plugin(ORG_A)
    texts = {"e": "${env:HOME}", "s": "${system:user.name}", "c": f"${{fs.s3a.bucket.{ORG_A[0]}.endpoint}}"}
    try:
        answer = ask(plugin, "SELECT " + ", ".join(f"'{text}' AS {name}" for name, text in texts.items()))
    finally:
        plugin.close()
    assert values(answer) == [texts]


def test_a_bucket_spark_cannot_reach_is_an_actionable_error_without_secrets(lab: CosLab) -> None:
    plugin = lab.plugin(INTRUDER, prefix="plain/", sourceFormat="json", cosEndpoint="http://127.0.0.1:9")
    try:
        answer = ask(plugin, "SELECT * FROM $__source")
    finally:
        plugin.close()
    assert answer.status == 502 and "127.0.0.1:9" in answer.error
    assert not any(canary in answer.error for canary in CANARIES)
