"""IBM's ``cos://`` statement forms on the Spark engine (the real Spark Connect server).

``INTO cos://…`` is written by the plugin after the engine ran, so it behaves on Spark exactly as
on DuckDB (``tests/dialect/test_ibm_locations.py``), inside the same confinement. ``FROM cos://…``
is read by Spark itself through S3A with the datasource's keys: a flow-log layout stored as JSON is
``FLOW`` over those objects, other locations the files of their format.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pyarrow.parquet as pq
import pytest

from cloudsql_cos_ts.settings.datasource import Credentials
from cloudsql_cos_ts.settings.secret import Secret
from cloudsql_cos_ts.storage.cos import CosStore
from tests.engines.inprocess import Answer, InProcessPlugin
from tests.plugin_host import data_query, datasource_context
from tests.real_objects import cases as real_objects
from tests.real_objects.serving import FROM_MS, TO_MS
from tests.storage.conftest import BUCKET, HMAC_ID, HMAC_SECRET

READABLE = [c.name for c in real_objects.CASES if not c.damaged and c.name != "not_gzipped"]
OUT = f"cos://us-south/{BUCKET}/spark-out/"
PORTS = "SELECT target_port, direction FROM FLOW_FLAT ORDER BY target_port, direction"


@pytest.fixture(scope="module")
def spark(
    s3_endpoint: str, spark_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[InProcessPlugin, CosStore]]:
    root = tmp_path_factory.mktemp("spark-ibm-locations")
    real_objects.write(root / "flows", names=READABLE)
    json_data = {
        "engine": "spark",
        "sparkUrl": spark_url,
        "source": str(root / "flows"),
        "allowedLocations": [OUT],
        "cosEndpoint": s3_endpoint,
        "authType": "hmac",
    }
    plugin = InProcessPlugin(json_data, root / "cache", "spark-ibm-locations")
    secure = {"hmacAccessKeyId": HMAC_ID, "hmacSecretAccessKey": HMAC_SECRET}
    plugin.context = datasource_context(json_data, secure, uid="spark-ibm-locations")
    hmac = Credentials(auth="hmac", hmac_access_key_id=Secret(HMAC_ID), hmac_secret_access_key=Secret(HMAC_SECRET))
    yield plugin, CosStore(s3_endpoint, BUCKET, hmac)
    plugin.close()


def ask(plugin: InProcessPlugin, sql: str) -> Answer:
    return plugin.run(data_query("A", {"rawSql": sql, "format": "table"}, from_ms=FROM_MS, to_ms=TO_MS))["A"]


def rows(answer: Answer) -> list[dict[str, Any]]:
    assert answer.status == 200, answer.error
    return [row for frame in answer.frames for row in frame.to_pylist()]


def test_into_a_location_partitioned_by_a_column(spark: tuple[InProcessPlugin, CosStore]) -> None:
    plugin, store = spark
    expected = rows(ask(plugin, PORTS))
    into = f"INTO {OUT}ports/ JOBPREFIX NONE STORED AS PARQUET PARTITIONED BY (direction)"
    assert rows(ask(plugin, f"{PORTS} {into}")) == expected
    keys = [o.key for o in store.list("spark-out/ports/").objects]
    assert keys == [f"spark-out/ports/direction={d}/part-00000.parquet" for d in "IO"]
    for key, direction in zip(keys, "IO", strict=True):
        written = pq.read_table(io.BytesIO(store.get(key)[0])).column("target_port").to_pylist()
        assert written == [row["target_port"] for row in expected if row["direction"] == direction]


def test_from_locations_read_through_s3a(spark: tuple[InProcessPlugin, CosStore]) -> None:
    plugin, store = spark
    expected = rows(ask(plugin, PORTS))
    ask(plugin, f"{PORTS} INTO {OUT}written/ JOBPREFIX NONE STORED AS PARQUET")
    written = f"SELECT * FROM {OUT}written/ STORED AS PARQUET ORDER BY target_port, direction"
    assert rows(ask(plugin, written)) == expected
    described = rows(ask(plugin, f"SELECT name, type FROM DESCRIBE({OUT}written/ STORED AS PARQUET)"))
    assert described == [{"name": "target_port", "type": "int"}, {"name": "direction", "type": "string"}]
    for case in real_objects.CASES:  # the source's objects, now also in the bucket
        if case.name in READABLE:
            store.put(f"spark-out/flows/{case.key}", case.body)
    flow = "SELECT count(*) AS objects, sum(number_of_flow_logs) AS records FROM {}"
    in_bucket = rows(ask(plugin, flow.format(f"{OUT}flows/ibm_vpc_flowlogs_v1/ STORED AS JSON")))
    assert in_bucket == rows(ask(plugin, flow.format("FLOW"))) and in_bucket[0]["objects"] > 0


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        (f"SELECT * FROM cos://us-south/{BUCKET}/elsewhere/ STORED AS JSON", "allowedLocations"),
        (f"{PORTS} INTO cos://us-south/{BUCKET}/elsewhere/ STORED AS CSV", "allowedLocations"),
        (f"{PORTS} INTO {OUT}../elsewhere/ STORED AS CSV", "'..'"),
    ],
)
def test_refused_on_spark(spark: tuple[InProcessPlugin, CosStore], sql: str, message: str) -> None:
    plugin, store = spark
    answer = ask(plugin, sql)
    assert answer.status == 400 and message in answer.error, answer.error
    assert not store.list("elsewhere/").objects
