"""`amrwatch ingest` and `amrwatch pseudonymise` as a user runs them: messages, never tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CORPUS = Path(__file__).parent / "fixtures" / "bad_inputs"


@pytest.fixture
def cli(monkeypatch, capsys):
    """Run the real entry point (`amrwatch.cli.main.run`) in this process: same error handling
    as the console script, without paying the start-up of a new interpreter per case."""
    from amrwatch.cli.main import run

    def invoke(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
        monkeypatch.setenv("AMRWATCH_HOME", str(home))
        monkeypatch.setenv("COLUMNS", "200")
        monkeypatch.setattr(sys, "argv", ["amrwatch", *args])
        code = 0
        try:
            run()
        except SystemExit as done:
            code = done.code or 0
        out = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, out.out, out.err)

    return invoke


def cli_process(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AMRWATCH_HOME": str(home), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "amrwatch", *args], capture_output=True,
                          text=True, timeout=180, env=env, check=False)


@pytest.mark.parametrize("args, words", [
    (["ingest", str(CORPUS / "empty.txt"), "--lab", "T1", "--country", "ARG"], "empty"),
    (["ingest", str(CORPUS / "binary.png"), "--lab", "T1", "--country", "ARG"], "binary"),
    (["ingest", str(CORPUS / "header_only.txt"), "--lab", "T1", "--country", "ARG"], "no data"),
    (["ingest", str(CORPUS / "duplicate_columns.txt"), "--lab", "T1", "--country", "ARG"],
     "duplicated columns"),
    (["ingest", "no/such/file.txt", "--lab", "T1", "--country", "ARG"], "not found"),
    (["ingest", str(CORPUS / "truncated.txt"), "--lab", "T1", "--country", "Argentina"],
     "ISO 3166"),
    (["ingest", str(CORPUS / "truncated.txt"), "--lab", "T1", "--country", "ARG",
      "--format", "csv"], "needs a mapping"),
    (["ingest", str(CORPUS / "truncated.txt"), "--lab", "T1", "--country", "ARG",
      "--format", "xml"], "Unknown format"),
    (["ingest", str(CORPUS / "truncated.txt"), "--lab", "T1", "--country", "ARG",
      "--mapping", str(CORPUS / "empty.txt")], "mapping"),
    (["ingest", str(CORPUS / "truncated.txt"), "--lab", "../etc", "--country", "ARG"],
     "laboratory code"),
    (["pseudonymise", str(CORPUS / "broken_bundle.json"), "--key-file", "k.key", "-o", "x.json"],
     "not fhir files"),
    (["pseudonymise", str(CORPUS / "with_names.txt"), "--key-file", "k.key", "-o",
      str(CORPUS / "with_names.txt")], "overwrite"),
])
def test_errors_are_messages_not_tracebacks(cli, tmp_path, monkeypatch, args, words):
    monkeypatch.chdir(tmp_path)  # relative key and output files land in the test's folder
    extra = ["--db", str(tmp_path / "hub.duckdb"), "--report-dir", str(tmp_path / "reports")]
    done = cli(*args, *(extra if args[0] == "ingest" else []), home=tmp_path)
    assert done.returncode not in (0, 70), done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert words.lower() in (done.stdout + done.stderr).lower()
    assert not (tmp_path / "hub.duckdb").exists()  # a rejected file never creates or touches it
    assert not (tmp_path / "k.key").exists()  # nor a key for a file that cannot be used


def test_ingest_stores_reports_and_is_idempotent(cli, tmp_path):
    """End to end through the console entry point in a new process."""
    db = str(tmp_path / "hub.duckdb")
    args = ["ingest", str(CORPUS / "impossible_values.txt"), "--lab", "AR-001", "--country",
            "ARG", "--db", db, "--report-dir", str(tmp_path / "reports")]
    first = cli_process(*args, home=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "2 of 8 isolates accepted (6 of 8 rows rejected)" in first.stdout
    assert "stored 2 of 2 isolates" in first.stdout
    report = json.loads((tmp_path / "reports" / "impossible_values.txt.report.json").read_text())
    assert report["counts"]["rows_rejected"] == 6
    assert (tmp_path / "reports" / "impossible_values.txt.report.html").exists()
    assert (tmp_path / "keys" / "AR-001.key").exists()
    again = cli(*args, home=tmp_path)
    assert again.returncode == 0 and "already ingested" in again.stdout
    status = cli("status", "--db", db, "--json", home=tmp_path)
    assert json.loads(status.stdout)["isolates"] == 2


def test_report_advice_in_spanish(cli, tmp_path):
    done = cli("ingest", str(CORPUS / "impossible_values.txt"), "--lab", "AR-001", "--country",
               "ARG", "--dry-run", "--language", "es", "--report-dir", str(tmp_path / "r"),
               home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Corrija la fecha" in done.stdout
    html = (tmp_path / "r" / "impossible_values.txt.report.html").read_text(encoding="utf-8")
    assert '<html lang="es">' in html and "Corrija la fecha" in html


def test_file_with_no_accepted_row_is_refused(cli, tmp_path):
    db = tmp_path / "hub.duckdb"
    done = cli("ingest", str(CORPUS / "wrong_delimiter.txt"), "--lab", "AR-001", "--country",
               "ARG", "--db", str(db), "--report-dir", str(tmp_path / "r"), home=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "nothing was stored" in done.stderr
    assert not db.exists()
    assert (tmp_path / "r" / "wrong_delimiter.txt.report.json").exists()


def test_pseudonymise_command(cli, tmp_path):
    out = tmp_path / "clean.txt"
    done = cli("pseudonymise", str(CORPUS / "with_names.txt"), "--key-file",
               str(tmp_path / "lab.key"), "-o", str(out), home=tmp_path)
    assert done.returncode == 0, done.stderr
    text = out.read_text(encoding="utf-8")
    assert "Mariana" not in text and "HC-99120" not in text and "1961" not in text
    assert "AGE" in text.splitlines()[0] and "FIRST_NAME" not in text
    strict = cli("ingest", str(out), "--lab", "PE-001", "--country", "PER", "--strict",
                 "--dry-run", "--report-dir", str(tmp_path / "r"), home=tmp_path)
    assert strict.returncode == 0, strict.stderr
    refused = cli("ingest", str(CORPUS / "with_names.txt"), "--lab", "PE-001", "--country",
                  "PER", "--strict", "--dry-run", "--report-dir", str(tmp_path / "r"),
                  home=tmp_path)
    assert refused.returncode == 2 and "personal identifiers" in refused.stderr


def test_ingest_interprets_the_new_results(cli, tmp_path):
    db = str(tmp_path / "hub.duckdb")
    done = cli("ingest", str(Path(__file__).parent / "fixtures" / "messages" / "oru_r01.hl7"),
               "--lab", "AR-001", "--country", "ARG", "--db", db, "--interpret", "EUCAST 2025",
               "--report-dir", str(tmp_path / "r"), home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "3 results interpreted under EUCAST 2025" in done.stdout
    assert "Detection: " in done.stdout  # detection reruns after every interpreted upload
    # A second upload is interpreted under the guidelines the store keeps, without --interpret.
    second = cli("ingest", str(Path(__file__).parent / "fixtures" / "messages" /
                               "micro_bundle.json"), "--lab", "AR-002", "--country", "ARG",
                 "--db", db, "--report-dir", str(tmp_path / "r"), home=tmp_path)
    assert "3 results interpreted under EUCAST 2025" in second.stdout, second.stderr
    status = cli("status", "--db", db, "--json", home=tmp_path)
    assert sum(json.loads(status.stdout)["interpretations"].values()) == 6


def test_lab_settings_file_supplies_the_date_order(cli, tmp_path):
    """truncated.txt has 14/3/2024: mdy from the lab's settings rejects it as month 14."""
    (tmp_path / "labs").mkdir()
    (tmp_path / "labs" / "AR-009.yaml").write_text("date_order: mdy\nguideline: CLSI 2024\n")
    done = cli("ingest", str(CORPUS / "truncated.txt"), "--lab", "AR-009", "--country", "ARG",
               "--dry-run", "--report-dir", str(tmp_path / "r"), home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "1 of 3 isolates accepted (3 of 4 rows rejected)" in done.stdout
    overridden = cli("ingest", str(CORPUS / "truncated.txt"), "--lab", "AR-009", "--country",
                     "ARG", "--date-order", "dmy", "--dry-run", "--report-dir",
                     str(tmp_path / "r"), home=tmp_path)
    assert "3 of 3 isolates accepted (1 of 4 rows rejected)" in overridden.stdout
    (tmp_path / "labs" / "AR-009.yaml").write_text("date_order: month-first\n")
    bad = cli("ingest", str(CORPUS / "truncated.txt"), "--lab", "AR-009", "--country", "ARG",
              "--dry-run", home=tmp_path)
    assert bad.returncode == 2 and "date_order" in bad.stderr and "Traceback" not in bad.stderr


def test_bench_read_stores_every_result_end_to_end(cli, tmp_path):
    """The end-to-end benchmark (file -> read_upload -> Store.add_upload) runs and stores all
    results: 2,000 isolates of 12 columns, each cell filled with probability 0.8."""
    done = cli("bench", "read", "--isolates", "2000", "--into", "none,duckdb", "--repeat", "2",
               home=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = [line for line in done.stdout.splitlines()
            if line.startswith("│") and ("readers only" in line or "DuckDB" in line)]
    assert len(rows) == 4  # two runs of each
    counts = {int(line.split("│")[3].strip().replace(",", "")) for line in rows}
    assert len(counts) == 1 and 0.75 * 24_000 < counts.pop() < 0.85 * 24_000
    assert "DuckDB: median" in done.stdout


def test_bench_read_refuses_an_unknown_store(cli, tmp_path):
    done = cli("bench", "read", "--isolates", "10", "--into", "sqlite", home=tmp_path)
    assert done.returncode != 0 and "--into" in done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
