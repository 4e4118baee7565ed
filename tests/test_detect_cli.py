"""`amrwatch detect …` on files, as a user runs it (subprocess: real exit codes and messages)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa

from amrwatch.tables import read_table, write_table

FIXTURES = Path(__file__).parent / "fixtures" / "detect"


def _run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200"}  # rich wraps at the terminal width
    return subprocess.run([sys.executable, "-m", "amrwatch", *args], capture_output=True, text=True,
                          check=False, env=env)


def test_aberrations_command_writes_alarms_and_signals(tmp_path: Path) -> None:
    out, signals = tmp_path / "out.tsv", tmp_path / "signals.csv"
    done = _run("detect", "aberrations", str(FIXTURES / "series.tsv"), "-o", str(out),
                "--algorithm", "ears-c2", "--signals", str(signals))
    assert done.returncode == 0, done.stderr
    result, reference = read_table(out), read_table(FIXTURES / "ears_c2.tsv")
    alarms = {(r["series_id"], r["week_index"]) for r in result.to_pylist() if r["alarm"] == "true"}
    expected = {(r["series_id"], r["week_index"]) for r in reference.to_pylist() if r["alarm"] == "TRUE"}
    assert alarms == expected
    runs = read_table(signals)
    assert 0 < runs.num_rows <= len(alarms)
    assert all(json.loads(e)["algorithm"] == "ears-c2" for e in runs.column("evidence").to_pylist())


def test_aberrations_command_rejects_bad_input_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    write_table(pa.table({"series_id": ["a", "a"], "week_index": ["1", "2"], "observed": ["1", "x"]}), bad)
    done = _run("detect", "aberrations", str(bad), "-o", str(tmp_path / "o.tsv"))
    assert done.returncode == 2
    assert "observed" in done.stderr and "row=2" in done.stderr and "Traceback" not in done.stderr
    done = _run("detect", "aberrations", str(bad), "-o", str(tmp_path / "o.tsv"), "--algorithm", "c9")
    assert done.returncode == 2 and "farrington" in done.stderr


def test_rules_and_scan_commands(tmp_path: Path) -> None:
    results = tmp_path / "results.csv"
    write_table(pa.table({  # the lab has reported since September; then its first C. auris
        "country": ["GTM", "GTM"], "lab_code": ["GT1", "GT1"], "isolate_id": ["e0", "c1"],
        "specimen_date": ["2024-09-02", "2025-02-10"], "mo": ["B_ESCHR_COLI", "F_CANDD_AURS"],
        "ab": ["MEM", None], "sir": ["S", None]}), results)
    done = _run("detect", "rules", str(results), "-o", str(tmp_path / "s.parquet"), "--language", "es")
    assert done.returncode == 0, done.stderr
    assert "Primer aislamiento de Candida auris" in done.stdout
    assert read_table(tmp_path / "s.parquet").num_rows == 4  # lab, country, region + referral

    cases, labs = tmp_path / "cases.csv", tmp_path / "labs.csv"
    write_table(pa.table({"lab_code": ["A"] * 5 + ["B"] * 5,
                          "specimen_date": ["2025-01-01"] * 5 + ["2025-01-02"] * 5}), cases)
    write_table(pa.table({"lab_code": ["A", "B"], "latitude": ["-12.0", "-12.1"],
                          "longitude": ["-77.0", "-77.1"]}), labs)
    done = _run("detect", "scan", str(cases), "--labs", str(labs), "-o", str(tmp_path / "c.tsv"),
                "--replications", "99", "--max-window-days", "2", "--study-days", "2")
    assert done.returncode == 0, done.stderr
    assert read_table(tmp_path / "c.tsv").column("centre_lab").to_pylist() == ["B"]


def test_run_over_a_store_then_again_with_the_known_signals(tmp_path: Path) -> None:
    """After each upload: the second run over the same store writes no signal twice."""
    from amrwatch.store import open_store
    from amrwatch.store.workload import upload_tables

    db = tmp_path / "hub.duckdb"
    with open_store(db) as store:
        for lab, country in (("AR-001", "ARG"), ("CL-001", "CHL")):
            store.add_upload(lab, country, "f.txt", f"sha-{lab}", "whonet",
                             *upload_tables(400, seed=3, lab_code=lab, country=country), {})
        store.reinterpret("EUCAST 2025")
        interpreted = store.isolate_results("EUCAST 2025")
    labs = tmp_path / "labs.csv"
    write_table(pa.table({"lab_code": ["AR-001", "CL-001"], "country": ["ARG", "CHL"],
                          "lat": [-34.6, -33.45], "lon": [-58.4, -70.67]}), labs)
    first, second = tmp_path / "first.parquet", tmp_path / "second.parquet"
    done = _run("detect", "run", "--db", str(db), "--labs", str(labs), "-o", str(first))
    assert done.returncode == 0, done.stderr
    found = read_table(first)
    assert interpreted.column("sir").null_count < interpreted.num_rows
    assert found.num_rows == len(set(found.column("signal_id").to_pylist()))
    done = _run("detect", "run", "--db", str(db), "--labs", str(labs), "-o", str(second),
                "--known", str(first))
    assert done.returncode == 0, done.stderr
    assert read_table(second).num_rows == 0 and "0 new signal(s)" in done.stdout
