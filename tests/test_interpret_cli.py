"""`amrwatch interpret` and `amrwatch bench interpret` from a user's point of view."""

from __future__ import annotations

import subprocess
import sys

import pyarrow as pa
from typer.testing import CliRunner

from amrwatch.cli.main import app
from amrwatch.tables import read_table, write_table

ROWS = pa.table({
    "isolate": ["1", "1", "2", "3"],
    "organism": ["Escherichia coli", "E. coli", "Pseudomonas aeruginosa", "unknown bug"],
    "antimicrobial": ["Ciprofloxacin", "CIP", "MEM", "CIP"],
    "method": ["MIC", "DISK", "MIC", "MIC"],
    "value": ["<=0.25", "21", "4", "1"],
})


def test_interpret_tsv_to_csv_with_summary(tmp_path) -> None:
    source, target = tmp_path / "ast.tsv", tmp_path / "sir.csv"
    write_table(ROWS, source)
    result = CliRunner().invoke(app, ["interpret", str(source), "-o", str(target),
                                      "--guideline", "CLSI 2024", "--summary"])
    assert result.exit_code == 0, result.output
    out = read_table(target)
    assert out.column_names == [*ROWS.column_names, "sir", "reason", "breakpoint_id", "guideline"]
    # CLSI 2024 Enterobacterales CIP S<=0.25, 5 ug disk R<=21; P. aeruginosa MEM S<=2 I 4 R>=8
    assert out["sir"].to_pylist() == ["S", "R", "I", None]
    assert "unresolved_organism" in result.output and "interpreted" in result.output
    assert 'most frequent organism texts: "unknown bug" (1)' in result.output


def test_interpret_parquet_to_tsv_with_policy_and_capped_handling(tmp_path) -> None:
    source, target = tmp_path / "ast.parquet", tmp_path / "sir.tsv"
    write_table(ROWS, source)
    result = CliRunner().invoke(app, ["interpret", str(source), "--output", str(target),
                                      "--guideline", "EUCAST 2025", "--policy", "amr",
                                      "--capped-mic-handling", "conservative"])
    assert result.exit_code == 0, result.output
    assert read_table(target)["reason"].to_pylist() == ["interpreted", "interpreted",
                                                         "interpreted", "unresolved_organism"]


def test_bad_guideline_is_a_message_not_a_traceback(tmp_path) -> None:
    source = tmp_path / "ast.csv"
    write_table(ROWS, source)
    done = subprocess.run([sys.executable, "-m", "amrwatch", "interpret", str(source), "-o",
                           str(tmp_path / "x.csv"), "--guideline", "CLSI 1990"],
                          check=False, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2
    assert "available CLSI years" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert not (tmp_path / "x.csv").exists()


def test_bench_interpret_prints_rows_per_second(tmp_path) -> None:
    result = CliRunner().invoke(app, ["bench", "interpret", "--rows", "20000",
                                      "--folder", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "in memory" in result.output and "file to file" in result.output
    assert "rows/s" in result.output and "peak MiB" in result.output
