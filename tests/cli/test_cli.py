"""The ``cloudsql-cos-ts`` console script end to end, as a user runs it (a subprocess per command)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cloudsql_cos_ts.cli.timeparse import TimeSyntaxError, parse_time
from tests.dashboard.expected import load_records
from tests.health.stages import STAGES
from tests.real_objects import cases as real_objects

CLI = Path(sys.executable).with_name("cloudsql-cos-ts")
START, END = "2024-05-06T00:00:00Z", "2024-05-06T02:00:00Z"


def cli(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CLI), *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        input=stdin,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli") / "flowlogs"
    done = cli("generate-flowlogs", str(folder), "--vnics", "2", "--start", START, "--end", END, "--no-progress")
    assert done.returncode == 0, done.stderr
    written = sum(1 for path in folder.rglob("*") if path.is_file())
    assert done.stdout.startswith(f"wrote {written} objects"), done.stdout
    return folder


def test_query_csv_json_and_table(data: Path, tmp_path: Path) -> None:
    sql = "SELECT direction, count(*) AS n FROM FLOW_FLAT WHERE $__timeFilterColumn(start_time, string) GROUP BY 1"
    common = ["--source", str(data), "--from", START, "--to", END, "--cache-dir", str(tmp_path)]
    as_csv = cli("query", sql + " ORDER BY 1", *common, "--output", "csv")
    assert as_csv.returncode == 0, as_csv.stderr
    rows = list(csv.reader(io.StringIO(as_csv.stdout)))
    assert rows[0] == ["direction", "n"] and [r[0] for r in rows[1:]] == ["I", "O"]
    as_json = cli("query", "-", *common, "--output", "json", stdin=sql + " ORDER BY 1")
    assert [json.loads(line)["direction"] for line in as_json.stdout.splitlines()] == ["I", "O"]
    as_table = cli("query", sql + " ORDER BY 1", *common)
    assert as_table.stdout.splitlines()[0].split() == ["direction", "n"] and "(2 row(s))" in as_table.stdout


def test_query_answers_from_the_source_it_names(data: Path, tmp_path: Path) -> None:
    """Same SQL, range and cache folder, two --source values: each answer comes from its own source."""
    other = tmp_path / "other"
    made = cli("generate-flowlogs", str(other), "--vnics", "3", "--start", START, "--end", END, "--no-progress")
    assert made.returncode == 0, made.stderr
    sql = "SELECT count(*) AS n FROM FLOW_FLAT"
    common = ["--from", START, "--to", END, "--cache-dir", str(tmp_path / "cache"), "--output", "csv"]
    sources = (data, other, data)
    counts = [int(cli("query", sql, "--source", str(source), *common).stdout.split()[1]) for source in sources]
    assert counts == [len(load_records(source)) for source in sources]
    assert counts[0] != counts[1]


def test_query_time_series_names_series_like_grafana(data: Path, tmp_path: Path) -> None:
    sql = (
        "SELECT $__timeGroup(start_time, '1h') AS time, action, count(*) AS n FROM FLOW_FLAT "
        "WHERE $__timeFilterColumn(start_time, string) GROUP BY 1, 2 ORDER BY 1"
    )
    done = cli(
        "query",
        sql,
        "--source",
        str(data),
        "--from",
        START,
        "--to",
        END,
        "--format",
        "time_series",
        "--time-column",
        "time",
        "--metrics-column",
        "action",
        "--output",
        "csv",
        "--cache-dir",
        str(tmp_path),
    )
    assert done.returncode == 0, done.stderr
    assert "n {action=accepted}" in done.stdout and "n {action=rejected}" in done.stdout


def test_query_error_exits_1_with_the_plugin_message(data: Path, tmp_path: Path) -> None:
    done = cli("query", "DROP TABLE FLOW_FLAT", "--source", str(data), "--cache-dir", str(tmp_path))
    assert done.returncode == 1
    assert done.stderr.startswith("cloudsql-cos-ts: query failed (400): ")


def test_query_warns_of_damaged_objects_or_fails_on_them(tmp_path: Path) -> None:
    (damaged,) = real_objects.write(tmp_path / "bucket", names=["invalid_json"])
    common = ["--source", str(tmp_path / "bucket"), "--from", "2020-07-01T20:00:00Z", "--to", "2020-07-01T22:00:00Z",
              "--cache-dir", str(tmp_path / "cache")]
    skipped = cli("query", "SELECT count(*) AS n FROM FLOW_FLAT", *common, "--output", "csv")
    warning = (
        "warning: 1 flow-log object in the query's range could not be read (not gzip JSON) and was left out "
        f"({damaged.key})"
    )
    assert skipped.returncode == 0 and skipped.stdout.splitlines() == ["n", "0"] and warning in skipped.stderr
    failed = cli("query", "SELECT count(*) AS n FROM FLOW_FLAT", *common, "--damaged-objects", "fail")
    assert failed.returncode == 1 and failed.stderr.startswith("cloudsql-cos-ts: query failed (502): 1 flow-log object")


def test_query_stats_say_what_was_read_then_that_the_cache_answered(tmp_path: Path) -> None:
    (sample,) = real_objects.write(tmp_path / "bucket", names=["ibm_sample"])
    records = len(real_objects.document_of(sample)["flow_logs"])
    args = ["query", "SELECT count(*) AS n FROM FLOW_FLAT", "--source", str(tmp_path / "bucket"), "--output", "csv",
            "--from", "2020-07-01T20:00:00Z", "--to", "2020-07-01T22:00:00Z", "--cache-dir", str(tmp_path / "cache"),
            "--stats"]
    first, again = cli(*args), cli(*args)
    assert first.returncode == 0 and first.stdout.splitlines() == ["n", str(records)], first.stderr
    lines = first.stderr.splitlines()
    for line in ("Objects read: 1", f"Bytes downloaded: {len(sample.body)} bytes", f"Records decoded: {records}",
                 "Result-cache hit: 0", "Engine runs (duckdb): 1"):
        assert line in lines
    assert any(line.startswith("Time running: ") and line.endswith(" ms") for line in lines)
    assert again.stdout == first.stdout  # the data on stdout is the same; the stats say where it came from
    assert {"Objects read: 0", "Result-cache hit: 1", "Engine runs (duckdb): 0"} <= set(again.stderr.splitlines())


def test_check_prints_the_stages_and_fails_with_exit_1(data: Path, tmp_path: Path) -> None:
    good = cli("check", "--source", str(data), "--cache-dir", str(tmp_path))
    assert good.returncode == 0, good.stdout
    assert [line.split()[0] for line in good.stdout.splitlines()[2 : 2 + len(STAGES)]] == list(STAGES)
    bad = cli("check", "--source", str(tmp_path / "missing"), "--cache-dir", str(tmp_path))
    assert bad.returncode == 1
    assert f"FAILED: source failed: the source folder {tmp_path / 'missing'} does not exist" in bad.stdout


def test_check_never_prints_a_secret(tmp_path: Path) -> None:
    settings = tmp_path / "ds.json"
    secret = "hmac-secret-never-printed"
    settings.write_text(
        json.dumps(
            {
                "jsonData": {
                    "source": "cos://us-south/bucket-x/",
                    "authType": "hmac",
                    "cosEndpoint": "http://127.0.0.1:9",
                },
                "secureJsonData": {"hmacAccessKeyId": "id-never-printed"},
            }
        )
    )
    done = cli("check", "--settings", str(settings), env={"CLOUDSQL_HMAC_SECRET_ACCESS_KEY": secret})
    assert done.returncode == 1
    # A refused connection is reported at once, unless the SDK's retries outlast the stage's time limit
    # on a loaded machine; either way the credentials stage fails with a message naming the endpoint.
    assert "credentials failed: " in done.stdout
    assert "cannot reach the COS endpoint http://127.0.0.1:9" in done.stdout or (
        "no answer within 5.0 s: check the endpoint settings (COS region or endpoint" in done.stdout
    )
    assert secret not in done.stdout + done.stderr and "id-never-printed" not in done.stdout + done.stderr


def test_expand_previews_macros_and_rejects_unknown_ones(data: Path) -> None:
    sql = "SELECT * FROM FLOW_FLAT WHERE $__timeFilter(string)"
    done = cli("expand", sql, "--time-column", "start_time", "--source", str(data), "--from", START, "--to", END)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        "SELECT * FROM FLOW_FLAT WHERE (to_timestamp(start_time) >= to_timestamp('2024-05-06T00:00:00.000Z') AND "
        "to_timestamp(start_time) <= to_timestamp('2024-05-06T02:00:00.000Z'))"
    )
    bad = cli("expand", "SELECT $__nope(x)", "--source", str(data))
    assert bad.returncode == 1 and bad.stderr.startswith("cloudsql-cos-ts: unknown macro $__nope at line 1, column 8")


def test_serve_prints_the_handshake_without_grafana_variables(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("grafana_plugin_type", "PLUGIN_PROTOCOL_VERSIONS")}
    env["GF_PLUGIN_CACHE_DIR"] = str(tmp_path)
    process = subprocess.Popen([str(CLI), "serve"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    try:
        assert process.stdout is not None
        assert process.stdout.readline().decode().startswith("1|2|unix|")
    finally:
        process.terminate()
        process.wait(timeout=10)
        assert process.stdout is not None
        process.stdout.close()


NOW = datetime(2024, 5, 15, 13, 45, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "is_end", "expected"),
    [
        ("now", False, NOW),
        ("now-6h", False, datetime(2024, 5, 15, 7, 45, 30, tzinfo=UTC)),
        ("now-1d/d", False, datetime(2024, 5, 14, tzinfo=UTC)),
        ("now-1d/d", True, datetime(2024, 5, 14, 23, 59, 59, 999000, tzinfo=UTC)),
        ("now/d", False, datetime(2024, 5, 15, tzinfo=UTC)),
        ("now-1M", False, datetime(2024, 4, 15, 13, 45, 30, tzinfo=UTC)),
        ("now-1y/y", False, datetime(2023, 1, 1, tzinfo=UTC)),
        ("now-2w", False, datetime(2024, 5, 1, 13, 45, 30, tzinfo=UTC)),
        ("2024-05-06T01:02:03Z", False, datetime(2024, 5, 6, 1, 2, 3, tzinfo=UTC)),
        ("1715000000000", False, datetime(2024, 5, 6, 12, 53, 20, tzinfo=UTC)),
    ],
)
def test_grafana_time_syntax(text: str, is_end: bool, expected: datetime) -> None:
    assert parse_time(text, now=NOW, is_end=is_end) == expected


def test_bad_time_names_the_accepted_forms() -> None:
    with pytest.raises(TimeSyntaxError, match="use now, now-6h, now-1d/d"):
        parse_time("yesterday", now=NOW, is_end=False)
