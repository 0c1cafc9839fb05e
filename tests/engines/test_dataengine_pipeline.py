"""The Data Engine engine through the real plugin process: QueryData, chains, $__dest, cancel, health, logs."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cloudsql_cos_ts.engines.dataengine.statement import ibm_target
from cloudsql_cos_ts.macros.model import DestSpec
from cloudsql_cos_ts.proto import backend_pb2 as pb
from cloudsql_cos_ts.storage.cos import CosStore
from tests.engines.dataengine_fake import TOKEN
from tests.engines.dataengine_fixtures import FROM_MS, HMAC, SECURE, TO_MS, Lab
from tests.plugin_host import PluginProcess, data_query, datasource_context, decode_frames, frame_meta
from tests.storage.conftest import BUCKET, GOOD_API_KEY, HMAC_SECRET

FLAT_SQL = (
    "SELECT target_port, COUNT(*) AS n FROM FLOW_FLAT WHERE $__timeFilterColumn(capture_start_time, timestamp) "
    "GROUP BY 1"
)


@pytest.fixture(scope="module")
def plugin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PluginProcess]:
    cache = tmp_path_factory.mktemp("plugin-dataengine") / "cache"
    process = PluginProcess(cache_dir=cache, extra_env={"GF_PLUGIN_LOG_LEVEL": "debug"}).start()
    yield process
    process.stop()


def context(lab: Lab, uid: str = "de", **changes: object) -> pb.PluginContext:
    return datasource_context(lab.json_data(**changes), secure=SECURE, uid=uid)


def query(ref: str, sql: str, **model: object) -> pb.DataQuery:
    return data_query(ref, {"rawSql": sql, **model}, from_ms=FROM_MS, to_ms=TO_MS)


def deleted_within(lab: Lab, seconds: float) -> bool:
    """Whether the fake received a DELETE of a job within ``seconds`` from now."""
    deadline = time.monotonic() + seconds
    while "DELETE" not in [method for method, _ in lab.service.requests]:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_query_data_answers_with_the_jobs_result(plugin: PluginProcess, lab: Lab) -> None:
    answer = plugin.query(query("A", FLAT_SQL + " ORDER BY 1"), context=context(lab))["A"]
    assert answer.status == 200, answer.error
    (frame,) = decode_frames(answer)
    assert frame.column("target_port").to_pylist() == sorted(frame.column("target_port").to_pylist())
    assert sum(frame.column("n").to_pylist()) > 0
    source = frame_meta(frame)["custom"]["source"]
    assert source["job_id"] in lab.service.jobs


def test_a_chain_reads_the_earlier_result_where_the_service_stored_it(plugin: PluginProcess, lab: Lab) -> None:
    answers = plugin.query(
        query("B", "SELECT SUM(n) AS total FROM $__source_prev(A)"),
        query("A", FLAT_SQL, getResult=False),
        context=context(lab, uid="de-chain"),
    )
    assert answers["A"].status == 200 and not answers["A"].frames
    assert answers["B"].status == 200, answers["B"].error
    first, chained = list(lab.service.jobs.values())[-2:]
    assert f"FROM (SELECT * FROM {first.resultset_location} STORED AS PARQUET) AS __PREV_A" in chained.statement
    assert decode_frames(answers["B"])[0].column("total").to_pylist()[0] > 0


def test_dest_is_written_by_the_service_not_twice(plugin: PluginProcess, lab: Lab) -> None:
    answer = plugin.query(
        query("A", FLAT_SQL + " INTO $__dest(csv, by-port)"), context=context(lab, uid="de-dest")
    )["A"]
    assert answer.status == 200, answer.error
    job = list(lab.service.jobs.values())[-1]
    assert job.statement.endswith(f"INTO cos://us-south/{BUCKET}/results/by-port/ STORED AS CSV")
    notices = frame_meta(decode_frames(answer)[0])["notices"]
    assert any(job.resultset_location in notice["text"] for notice in notices)
    keys = [obj.key for obj in CosStore(lab.s3, BUCKET, HMAC).list("results/by-port/").objects]
    assert keys and all(key.startswith(f"results/by-port/jobid={job.job_id}/") for key in keys), keys


def test_a_cos_location_goes_to_the_service_as_ibm_wrote_it(plugin: PluginProcess, lab: Lab) -> None:
    location = f"cos://us-south/{BUCKET}/flows/ STORED AS JSON"
    answers = plugin.query(
        query("A", f"SELECT count(*) AS n FROM {location}"),
        query("B", "SELECT count(*) AS n FROM FLOW"),
        context=context(lab, uid="de-cos"),
    )
    assert (answers["A"].status, answers["B"].status) == (200, 200), (answers["A"].error, answers["B"].error)
    assert any(f"FROM (SELECT * FROM {location})" in job.statement for job in lab.service.jobs.values())
    counts = [decode_frames(answers[ref])[0].column("n").to_pylist() for ref in "AB"]
    assert counts[0] == counts[1] and counts[0][0] > 0


def test_a_cos_location_outside_never_reaches_the_service(plugin: PluginProcess, lab: Lab) -> None:
    jobs = len(lab.service.jobs)
    sql = f"SELECT * FROM cos://us-south/{BUCKET}/elsewhere/ STORED AS JSON"
    answer = plugin.query(query("A", sql), context=context(lab, uid="de-cos-out"))["A"]
    assert answer.status == 400 and "allowedLocations" in answer.error, answer.error
    assert len(lab.service.jobs) == jobs


def test_into_a_cos_location_is_written_by_the_service(plugin: PluginProcess, lab: Lab) -> None:
    target = f"cos://us-south/{BUCKET}/results/ibm/"
    sql = f"{FLAT_SQL} INTO {target} STORED AS CSV"
    answer = plugin.query(query("A", sql), context=context(lab, uid="de-into"))["A"]
    assert answer.status == 200, answer.error
    job = list(lab.service.jobs.values())[-1]
    assert job.statement.endswith(f"INTO {target} STORED AS CSV")
    keys = [obj.key for obj in CosStore(lab.s3, BUCKET, HMAC).list("results/ibm/").objects]
    assert keys and all(key.startswith(f"results/ibm/jobid={job.job_id}/") for key in keys), keys


@pytest.mark.parametrize(
    ("dest", "clause"),
    [
        (DestSpec("csv", "", location="cos://r/b/p/", job_prefix=True), "INTO cos://r/b/p/ STORED AS CSV"),
        (
            DestSpec("parquet", "", location="cos://r/b/p/", partition_by=("year", "a`b")),
            "INTO cos://r/b/p/ JOBPREFIX NONE STORED AS PARQUET PARTITIONED BY (`year`, `a``b`)",
        ),
        (DestSpec("json", "", location="cos://r/b/p/", objects=3), "NONE STORED AS JSON PARTITIONED INTO 3 OBJECTS"),
        (DestSpec("csv", "", location="cos://r/b/p/", rows_per_object=9), "STORED AS CSV PARTITIONED EVERY 9 ROWS"),
    ],
)
def test_ibm_into_clause_as_the_service_reads_it(dest: DestSpec, clause: str) -> None:
    assert ibm_target("SELECT 1", dest).endswith(clause)


def test_too_many_jobs_once_is_retried(plugin: PluginProcess, lab: Lab) -> None:
    lab.service.too_many_jobs = 1
    answer = plugin.query(query("A", "SELECT 3 AS three"), context=context(lab, uid="de-429"))["A"]
    assert answer.status == 200, answer.error
    assert [m for m, _ in lab.service.requests].count("POST") == 2


def test_grafana_cancel_deletes_the_job_within_a_second(plugin: PluginProcess, lab: Lab) -> None:
    lab.service.hang = True
    request = pb.QueryDataRequest(pluginContext=context(lab, uid="de-cancel"), queries=[query("A", "SELECT 1 AS x")])
    call = plugin.data.QueryData.future(request, timeout=30)
    deadline = time.monotonic() + 10
    while not any(job.status == "running" and not job.stopped.is_set() for job in lab.service.jobs.values()):
        assert time.monotonic() < deadline, "the job never started"
        time.sleep(0.02)
    call.cancel()
    assert deleted_within(lab, 1.0), "the cancelled job was not stopped within a second"


def test_query_timeout_is_a_504_and_deletes_the_job(plugin: PluginProcess, lab: Lab) -> None:
    lab.service.hang = True
    started = time.monotonic()
    answer = plugin.query(
        query("A", "SELECT 1 AS x"), context=context(lab, uid="de-timeout", queryTimeoutSeconds=1)
    )["A"]
    assert answer.status == 504 and "query timeout (1 s)" in answer.error
    assert time.monotonic() - started < 3
    assert deleted_within(lab, 1.0), "the timed-out job was not stopped"


def test_health_walks_to_the_engine_stage_without_a_job(plugin: PluginProcess, lab: Lab) -> None:
    reply = plugin.diagnostics.CheckHealth(pb.CheckHealthRequest(pluginContext=context(lab, uid="de-h")), timeout=30)
    assert reply.status == pb.CheckHealthResponse.OK, reply.message
    engine_stage = json.loads(reply.jsonDetails)["stages"][-1]
    assert engine_stage["name"] == "engine" and "IBM Data Engine API at" in engine_stage["detail"]
    assert "POST" not in [m for m, _ in lab.service.requests]


def test_health_reports_an_unknown_instance(plugin: PluginProcess, lab: Lab) -> None:
    ctx = context(lab, uid="de-h-bad", dataEngineInstanceCrn="crn:v1:bluemix:public:sql-query:us-south:a/0::x")
    reply = plugin.diagnostics.CheckHealth(pb.CheckHealthRequest(pluginContext=ctx), timeout=30)
    assert reply.status == pb.CheckHealthResponse.ERROR
    assert "dataEngineInstanceCrn" in reply.message


def test_no_secret_in_answers_or_logs(plugin: PluginProcess, lab: Lab, tmp_path: Path) -> None:
    bad_key = {**SECURE, "apiKey": "wrong-api-key-secret-value"}
    refused = plugin.query(
        query("A", "SELECT 1 AS x"),
        context=datasource_context(lab.json_data(), secure=bad_key, uid="de-bad-key"),
    )["A"]
    assert refused.status == 502 and "refused by IAM (HTTP 400, BXNIM0415E)" in refused.error
    lab.service.fail_next = "boom"
    failed = plugin.query(query("A", "SELECT 1 AS x"), context=context(lab, uid="de-fail"))["A"]
    assert failed.status == 400 and "boom" in failed.error
    texts = [refused.error, failed.error, plugin.stderr()]
    for secret in (GOOD_API_KEY, "wrong-api-key-secret-value", HMAC_SECRET, f"Bearer {TOKEN}"):
        assert all(secret not in text for text in texts), secret
