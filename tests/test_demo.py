"""`amrwatch demo` runs the whole chain on a small synthetic dataset and says where to look."""

from __future__ import annotations

import json
import subprocess
import sys


def test_demo_runs_every_stage_and_says_where_to_look(tmp_path) -> None:
    out = tmp_path / "demo"
    done = subprocess.run(
        [sys.executable, "-m", "amrwatch", "demo", "--isolates", "300", "--out", str(out)],
        capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert "Where to look" in done.stdout
    assert "Not run" not in (out / "report.html").read_text(encoding="utf-8")
    assert len(json.loads((out / "data" / "ground_truth.json").read_text())["events"]) >= 5

    status = subprocess.run(
        [sys.executable, "-m", "amrwatch", "status", "--db", str(out / "amrwatch.duckdb"),
         "--json"], capture_output=True, text=True, timeout=120, check=True)
    counts = json.loads(status.stdout)
    assert counts["isolates"] > 250
    assert counts["ast_results"] > counts["isolates"]
    assert counts["interpretations"], counts
    for role in ("lab_submitter", "national_epidemiologist", "regional_analyst", "responder",
                 "administrator"):
        assert role in done.stdout
