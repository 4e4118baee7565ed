"""GLASS export: counting rules, file names and columns, and the platform's upload checks.

Expected texts are the GLASS IT platform's own (EyeSeeTea/glass-dev, cited in shared/specs/glass.md);
expected counts are worked out by hand from the small dataset built below.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from amrwatch.errors import ConfigurationError, InputError
from amrwatch.export.glass import glass_tables, write_glass
from amrwatch.export.glass_codes import spec
from amrwatch.export.glass_validate import validate_folder


def _row(isolate, patient, date, specimen, mo, ab, sir, reason="interpreted", **extra):
    values = {"country": "ARG", "lab_code": "AR-001", "isolate_id": isolate, "patient_key": patient,
              "specimen_date": date, "specimen_type": specimen, "origin": "hospital",
              "age_years": 40.0, "sex": "F", "mo": mo, "ab": ab, "sir": sir, "reason": reason,
              "guideline": "EUCAST 2025", "method": "MIC", "value_raw": "0.5", "potency": None}
    values.update(extra)
    return values


@pytest.fixture()
def results() -> pa.Table:
    rows = [
        # patient P1: two E. coli blood isolates in 2024 -> only the first (Jan) counts
        _row("A", "P1", "2024-01-05", "BLOOD", "B_ESCHR_COLI", "CIP", "R"),
        _row("A", "P1", "2024-01-05", "BLOOD", "B_ESCHR_COLI", "CTX", "S"),
        _row("B", "P1", "2024-03-01", "BLOOD", "B_ESCHR_COLI", "CIP", "S"),
        # the same patient's urine E. coli is another specimen: counted
        _row("C", "P1", "2024-03-01", "URINE", "B_ESCHR_COLI", "CIP", "I"),
        # P2: CIP without breakpoint, CTX not tested; MIC and disk disagree on MEM -> the most resistant
        _row("D", "P2", "2024-06-01", "BLOOD", "B_ESCHR_COLI", "CIP", None, "no_breakpoint"),
        _row("D", "P2", "2024-06-01", "BLOOD", "B_ESCHR_COLI", "MEM", "S"),
        _row("D", "P2", "2024-06-01", "BLOOD", "B_ESCHR_COLI", "MEM", "R", method="DISK", value_raw="12"),
        # a drug outside the allow-list for E. coli blood is not exported
        _row("D", "P2", "2024-06-01", "BLOOD", "B_ESCHR_COLI", "AMC", "R"),
        # other year and a non-GLASS organism: not in RIS
        _row("E", "P3", "2023-12-31", "BLOOD", "B_ESCHR_COLI", "CIP", "R"),
        _row("F", "P4", "2024-02-02", "BLOOD", "B_STPHY_EPDR", "OXA", "R"),
    ]
    return pa.Table.from_pylist(rows)


def test_ris_counts_follow_the_glass_rules(results: pa.Table) -> None:
    ris = glass_tables(results, "ARG", 2024, modules=("ris",))["ris"].to_pylist()
    blood = {r["ANTIBIOTIC"]: r for r in ris if r["SPECIMEN"] == "BLOOD" and r["PATHOGEN"] == "ESCCOL"}
    assert sorted(blood) == ["CIP", "CTX", "MEM"]
    cip = blood["CIP"]  # isolate A (R) and D (no breakpoint); isolate B is a repeat
    assert (cip["RESISTANT"], cip["SUSCEPTIBLE"], cip["UNKNOWN_NO_BREAKPOINTS"], cip["UNKNOWN_NO_AST"]) == (1, 0, 1, 0)
    assert blood["CTX"]["SUSCEPTIBLE"] == 1 and blood["CTX"]["UNKNOWN_NO_AST"] == 1  # D untested
    assert blood["MEM"]["RESISTANT"] == 1 and blood["MEM"]["SUSCEPTIBLE"] == 0
    urine = [r for r in ris if r["SPECIMEN"] == "URINE"]
    assert [(r["ANTIBIOTIC"], r["INTERMEDIATE"]) for r in urine] == [("CIP", 1)]
    counts = spec()["columns"]["counts"]
    assert all(sum(r[c] for c in counts) == 2 for r in blood.values())  # every row adds up to 2 isolates
    assert {r["GENDER"] for r in ris} == {"F"} and {r["ORIGIN"] for r in ris} == {"HO"}
    assert {r["AGEGROUP"] for r in ris} == {"35<44"}


def test_sample_and_amr_i(results: pa.Table) -> None:
    tables = glass_tables(results, "ARG", 2024, modules=("sample", "amr-i"))
    sample = {r["SPECIMEN"]: r for r in tables["sample"].to_pylist()}
    assert sample["BLOOD"]["NUMSAMPLEDPATIENTS"] == 3  # P1, P2, P4 (S. epidermidis is sampled too)
    assert sample["BLOOD"]["NUMINFECTED"] == 2
    amr_i = tables["amr-i"]
    assert amr_i.column_names == spec()["columns"]["AMR-I"]
    assert sorted(set(amr_i.column("ISOLATE_ID").to_pylist())) == ["A", "C", "D"]


def test_export_validates_and_broken_files_fail_with_glass_text(results: pa.Table, tmp_path: Path) -> None:
    tables = glass_tables(results, "ARG", 2024)
    paths = write_glass(tables, tmp_path, "ARG", 2024, "DS1")
    assert [p.name for p in paths] == ["RIS_ARG_2024_DS1.csv", "SAMPLE_ARG_2024_DS1.csv",
                                       "AMR-I_ARG_2024_DS1.csv"]
    assert validate_folder(tmp_path).num_rows == 0
    ris = tmp_path / "RIS_ARG_2024_DS1.csv"
    lines = ris.read_text().splitlines()
    assert lines[0].startswith("COUNTRY,YEAR,SPECIMEN,PATHOGEN,GENDER")
    lines[1] = lines[1].replace("ESCCOL", "STAAUR").replace(",2024,", ",2023,")
    lines.append(lines[2])
    ris.write_text("\n".join(lines) + "\n")
    problems = {p["check"]: p for p in validate_folder(tmp_path).to_pylist()}
    assert problems["V2"]["message"].startswith(
        "The specimen, pathogen, antibiotic combination you have provided is not allowed. "
        "Specimen BLOOD, Pathogen STAAUR, Antibiotic")
    assert problems["V2"]["row"] == 1
    assert problems["V5"]["message"] == (
        "Year is different: Selected Data Submission Year : 2024, Year in file: 2023")
    assert problems["V7"]["message"].startswith("Duplicate rows found for combination : BLOOD, ESCCOL")


def test_header_dates_and_codes(tmp_path: Path) -> None:
    (tmp_path / "SAMPLE_ARG_2024_DS1.csv").write_text(
        "COUNTRY,YEAR,SPECIMEN,GENDER,ORIGIN,AGEGROUP,BATCHID,NUMSAMPLEDPATIENTS\n"
        "BRA,2024,BLOOD,X,CO,85+,DS1,-3\n")
    (tmp_path / "RIS_ARG_2024_DS1.csv").write_text("COUNTRY,YEAR\nARG,2024\n")
    (tmp_path / "AMR-I_ARG_2024_DS1.csv").write_text(
        ",".join(spec()["columns"]["AMR-I_required"]) + "\n"
        + ",".join("2024-02-30" if c == "SAMPLE_DATE" else "" for c in spec()["columns"]["AMR-I_required"]) + "\n")
    problems = validate_folder(tmp_path).to_pylist()
    by_check = {(p["file"].split("_")[0], p["check"]): p["message"] for p in problems}
    assert by_check[("RIS", "V1")].startswith("Incorrect File Format. Please retry with a valid file")
    assert by_check[("SAMPLE", "V6")] == (
        "Country is different: Selected Data Submission Country : ARG, Country in file: BRA")
    assert by_check[("SAMPLE", "V8")] == (
        'Combination of SPECIMEN, GENDER, ORIGIN, AGEGROUP not found for codes: "BLOOD,X,CO,85+"')
    assert ("SAMPLE", "N1") in by_check
    assert by_check[("AMR-I", "I1")] == (
        'Invalid date "2024-02-30" in column "SAMPLE_DATE" at row 1. The date does not exist on the '
        "calendar. Please correct it and re-upload.")


def test_arguments_are_checked(results: pa.Table) -> None:
    with pytest.raises(ConfigurationError, match="ISO 3166-1 alpha-3"):
        glass_tables(results, "AR", 2024)
    with pytest.raises(ConfigurationError, match="batch"):
        glass_tables(results, "ARG", 2024, batch="DS9")
    with pytest.raises(InputError, match="No isolates of this country and year"):
        glass_tables(results, "ARG", 2019)


def test_cli_export_then_validate(results: pa.Table, tmp_path: Path) -> None:
    from amrwatch.cli.main import app
    from amrwatch.tables import write_table

    source = tmp_path / "results.parquet"
    write_table(results, source)
    runner = CliRunner()
    done = runner.invoke(app, ["export", "glass", "--country", "ARG", "--year", "2024", "--out",
                               str(tmp_path / "glass"), "--input", str(source)])
    assert done.exit_code == 0, done.output
    assert "All GLASS checks passed" in done.output
    checked = runner.invoke(app, ["validate", "glass", str(tmp_path / "glass"), "--batch", "DS2"])
    assert checked.exit_code != 0
    assert "Batchid is different" in checked.output
