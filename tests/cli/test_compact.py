"""``cloudsql-cos-ts compact``: its refusals and its report, in-process (compaction itself: tests/flowlogs/lake)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloudsql_cos_ts.cli.main import main


@pytest.mark.parametrize(
    ("args", "code", "said"),
    [
        (["--from", "2026-05-06"], 1, "set lakeLocation"),
        (["--lake-location", "{tmp}/elsewhere", "--from", "2026-05-06"], 1, "outside this datasource's locations"),
        (["--lake-location", "{tmp}/src/lake", "--source-format", "json", "--from", "2026-05-06"], 1, "flow-log"),
        (["--lake-location", "{tmp}/src/lake", "--from", "2026-05-07", "--to", "2026-05-06"], 2, "not be after"),
        (["--lake-location", "{tmp}/src/lake", "--from", "yesterday"], 2, "is not a time"),
    ],
    ids=["no lake", "lake outside", "not flow logs", "empty range", "bad time"],
)
def test_compact_refuses_what_it_cannot_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], code: int, said: str
) -> None:
    (tmp_path / "src").mkdir()
    argv = ["compact", "--source", str(tmp_path / "src"), "--cache-dir", str(tmp_path / "cache"), "--no-progress"]
    assert main([*argv, *(arg.format(tmp=tmp_path) for arg in args)]) == code
    assert said in capsys.readouterr().err


def test_compact_reports_each_day_and_leaves_unsettled_ones(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "src").mkdir()
    argv = ["compact", "--source", str(tmp_path / "src"), "--lake-location", str(tmp_path / "src" / "lake")]
    argv += ["--from", "now-3d", "--to", "now", "--no-progress", "--cache-dir", str(tmp_path / "cache")]
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4 and lines[0].endswith("empty: no flow-log objects")
    assert lines[-1].endswith("skipped: not settled yet (objects may still arrive)")
