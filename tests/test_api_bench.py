"""`amrwatch bench web` runs end to end on a small store (the figures themselves are not tested)."""

from __future__ import annotations

import subprocess
import sys


def test_bench_web_prints_figures_for_both_pages(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "amrwatch", "bench", "web", "--isolates", "990", "--users", "3",
         "--seconds", "1", "--labs-per-country", "1", "--workdir", str(tmp_path)],
        capture_output=True, text=True, timeout=300, env={"COLUMNS": "200", **_env(tmp_path)},
        check=False)  # the exit code is asserted below, with stderr as the message
    assert done.returncode == 0, done.stderr
    assert "990 isolates, 3 users" in done.stdout
    assert "overview" in done.stdout and "country" in done.stdout
    assert "errors: 0" in done.stdout


def _env(tmp_path) -> dict:
    import os

    return {**os.environ, "AMRWATCH_HOME": str(tmp_path / "home")}
