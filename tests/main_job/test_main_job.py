"""The main job on a tiny data set: it runs the bundled dashboard through the built plugin and draws it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parents[2]


def test_main_job_writes_six_panel_images(tmp_path: Path) -> None:
    out = tmp_path / "main-job"
    done = subprocess.run(
        [
            "bash",
            str(REPO / "scripts" / "main_job.sh"),
            "--out",
            str(out),
            "--hours",
            "1",
            "--vnics",
            "2",
            "--records-per-object",
            "10",
            "--no-progress",
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "MAIN_JOB_SKIP_BUILD": "1"},
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"output folder: {out}" in done.stdout
    assert "OK: Data source is working" in done.stdout
    assert "=== variable target_ip ===" in done.stdout and "=== variable target_ip_private ===" in done.stdout
    assert "alert fires for: rejected {target_ip=" in done.stdout
    images = sorted(out.glob("panel-*.png"))
    assert [p.name for p in images] == [f"panel-{n}.png" for n in range(1, 10)]
    for image in images:
        assert image.stat().st_size > 5_000, image
        with Image.open(image) as picture:
            colours = picture.convert("RGB").getcolors(maxcolors=1_000_000) or []
        assert len(colours) > 20, f"{image} looks blank"
