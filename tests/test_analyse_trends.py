"""Trends by period with intervals, the breakpoint-change impact view, and the analyse CLI.

Hand-checked cases: the counts below are built so the expected percentages are exact.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from amrwatch import refdata
from amrwatch.analyse.trends import breakpoint_impact, trend
from amrwatch.errors import ConfigurationError, InputError
from amrwatch.tables import read_table, write_table


def _history() -> pa.Table:
    rows = []
    for year, lab_r in (("2021", 10), ("2022", 20)):
        for i in range(40):  # fixed guideline: 10 of 40 R both years; labs' own: 10, then 20
            rows.append({"isolate_id": f"{year}-{i}", "date": f"{year}-05-01", "mo": "B_ESCHR_COLI",
                         "ab": "CIP", "sir": "R" if i < 10 else "S",
                         "lab_sir": "R" if i < lab_r else "S"})
    return pa.Table.from_pylist(rows)


def test_trend_by_year_has_intervals() -> None:
    out = trend(_history(), "year", ["organism"]).to_pylist()
    assert [(r["year"], r["pct_R"]) for r in out] == [("2021", 25.0), ("2022", 25.0)]
    assert all(r["pct_R_low"] < 25.0 < r["pct_R_high"] for r in out)
    with pytest.raises(ConfigurationError):
        trend(_history(), "month")


def test_breakpoint_impact_separates_guideline_change_from_resistance() -> None:
    out = {r["year"]: r for r in breakpoint_impact(_history(), "year", ["organism"]).to_pylist()}
    assert out["2021"]["pct_R_reported"] == 25.0 and out["2022"]["pct_R_reported"] == 50.0
    assert out["2021"]["pct_R_fixed"] == 25.0 and out["2022"]["pct_R_fixed"] == 25.0
    assert out["2022"]["pct_R_difference"] == -25.0
    with pytest.raises(InputError, match="reported by the labs"):
        breakpoint_impact(_history().drop_columns(["lab_sir"]))


def test_analyse_commands_run_on_a_file(tmp_path: Path) -> None:
    from amrwatch.cli.main import app

    source = tmp_path / "isolates.tsv"
    write_table(refdata.table("example_isolates"), source)
    runner = CliRunner()
    commands = [
        ["first-isolate", str(source), "-o", str(tmp_path / "first.tsv"), "--method", "episode-based"],
        ["resistance", str(source), "-o", str(tmp_path / "r.json"), "--by", "organism,year",
         "--interval", "clopper-pearson", "--first", "episode-based"],
        ["antibiogram", str(source), "-o", str(tmp_path / "ab.html"), "--antimicrobials", "TZP,TZP+GEN"],
        ["mdro", str(source), "-o", str(tmp_path / "mdro.parquet")],
        ["trends", str(source), "-o", str(tmp_path / "t.csv"), "--period", "quarter"],
    ]
    for command in commands:
        done = runner.invoke(app, command)
        assert done.exit_code == 0, (command, done.output)
    first = read_table(tmp_path / "first.tsv")
    assert first.column("first_isolate").to_pylist().count("true") == 1300  # AMR 3.0.0: 1,300
    assert "insufficient" in (tmp_path / "ab.html").read_text()
    assert read_table(tmp_path / "mdro.parquet").column("mdro").to_pylist().count("MDR") == 128
    missing = runner.invoke(app, ["resistance", str(tmp_path / "none.tsv"), "-o", str(tmp_path / "x.tsv")])
    assert missing.exit_code != 0
