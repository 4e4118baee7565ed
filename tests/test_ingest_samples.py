"""The three reference files read completely: counts derived independently with the csv module.

Expected counts come from the files themselves (rows, non-empty result cells), not from the
reader; every rejected row or result must be explained by an error issue at that row.
"""

from __future__ import annotations

import csv
import re

import pyarrow.compute as pc
import pytest

from amrwatch.ingest import read_upload
from amrwatch.ingest.mapping import shipped_mapping

KEY = b"0123456789abcdef0123456789abcdef"
# WHONET result column rule (shared/specs/whonet-export.md §4.1, AMRIE IsolateInterpretation.cs).
RESULT = re.compile(r"^([A-Z]{3}|X_\d+)_([NEFSDTBA])(D.*|M|E)$", re.IGNORECASE)
# A readable result: a number with an optional comparator, and/or an S/I/R category.
READABLE = re.compile(r"^\s*(<=|>=|<|>|=)?\s*(\d+(\.\d+)?)?\s*(S|I|R|SDD|NS)?\s*$", re.IGNORECASE)


def _rows(path, delimiter):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


def _rejected(rows, date_column, organism_column):
    """Rows a surveillance system cannot take, by the rules of docs/ingest.md: no specimen date,
    no organism, or an exact repeat of an earlier row."""
    seen, rejected = set(), set()
    for number, row in enumerate(rows, start=1):
        values = tuple(v.strip() for v in row.values())
        if not row[date_column].strip() or not row[organism_column].strip() or values in seen:
            rejected.add(number)
        seen.add(values)
    return rejected


def _expected(rows, result_columns, rejected=frozenset()):
    """(rows, readable result cells of accepted rows, unreadable cells of accepted rows)."""
    cells = [(i + 1, c, r[c].strip()) for i, r in enumerate(rows) for c in result_columns
             if r[c].strip() and i + 1 not in rejected]
    readable = [cell for cell in cells if READABLE.match(cell[2]) and re.search(r"[0-9SIR]",
                                                                                   cell[2])]
    return len(rows), len(readable), len(cells) - len(readable)


def _assert_rejections_explained(result):
    issues = result.issues
    errors = issues.filter(pc.equal(issues["severity"], "error"))
    row_errors = set(errors.filter(pc.is_valid(errors["row"]))["row"].to_pylist())
    accepted = set(result.isolates["source_row"].to_pylist())
    rejected = set(range(1, result.counts["rows_read"] + 1)) - accepted
    assert rejected <= row_errors  # every rejected row has an error at its row


@pytest.mark.shared
def test_whonet_sample_input_file(whonet_dir):
    path = whonet_dir / "SampleInputFile.txt"
    rows = _rows(path, "|")
    columns = [c for c in rows[0] if RESULT.match(c)]
    rejected = _rejected(rows, "SPEC_DATE", "ORGANISM")
    n_rows, n_results, n_unreadable = _expected(rows, columns, rejected)
    result = read_upload(path, lab="TST", country="ARG", key=KEY)
    assert result.reader == "whonet"
    # No row lacks a specimen date or organism and none repeats another exactly: all accepted.
    assert (n_rows, len(rejected), n_results, n_unreadable) == (622, 0, 6133, 0)
    assert result.isolates.num_rows == n_rows - len(rejected)
    assert result.ast_results.num_rows == n_results
    assert result.errors == 0
    _assert_rejections_explained(result)
    # 2/1/1995 is 2 January: the file has 25/1/1995, so the order is day/month/year.
    first = result.isolates.filter(pc.equal(result.isolates["source_row"], 1)).to_pylist()[0]
    assert str(first["specimen_date"]) == "1995-01-02"
    assert first["specimen_type"] == "URINE" and first["mo"] == "B_ENTRC"
    sxt = result.ast_results.filter(pc.equal(result.ast_results["source_column"], "SXT_ND1_2"))
    assert set(sxt["potency"].to_pylist()) == {"1.2"}
    assert set(sxt["method"].to_pylist()) == {"DISK"}
    assert set(sxt["lab_guideline"].to_pylist()) == {"CLSI"}
    # No ORIGIN and no admission date: outpatients and emergency patients (WARD_TYPE out, eme)
    # count as community origin (glass.md §3), the others stay unknown.
    origins = result.isolates["origin"].to_pylist()
    outpatients = sum(1 for r in rows if r["WARD_TYPE"] in ("out", "eme"))
    assert origins.count("community") == outpatients and origins.count("hospital") == 0
    pen_ne = result.ast_results.filter(pc.equal(result.ast_results["source_column"], "PEN_NE"))
    assert set(pen_ne["method"].to_pylist()) == {"GRADIENT"}


@pytest.mark.shared
def test_amr_whonet_long_name_header(amr_r_dir):
    path = amr_r_dir / "WHONET.tsv"
    rows = _rows(path, "\t")
    columns = [c for c in rows[0] if RESULT.match(c)]
    rejected = _rejected(rows, "Specimen date", "Organism")
    n_rows, n_results, n_unreadable = _expected(rows, columns, rejected)
    result = read_upload(path, lab="TST", country="BEL", key=KEY)
    assert result.reader == "whonet"
    assert (n_rows, len(rejected), n_unreadable) == (500, 0, 0)
    assert result.isolates.num_rows == n_rows - len(rejected)
    assert result.ast_results.num_rows == n_results == 8622
    # Cells hold the lab's category only: kept as the lab's S/I/R.
    assert set(result.ast_results["lab_sir"].to_pylist()) == {"S", "I", "R"}
    # Ages and sexes are read from the long-name columns.
    assert result.isolates["age_years"].null_count == 0
    assert set(result.isolates["sex"].to_pylist()) == {"M", "F"}
    # Organism '103' is WHONET's code for E. coli O103 (AMR microorganisms.codes).
    codes = dict(zip(result.isolates["organism_raw"].to_pylist(),
                     result.isolates["mo"].to_pylist()))
    assert codes["103"] == "B_ESCHR_COLI"
    _assert_rejections_explained(result)


@pytest.mark.shared
def test_example_isolates_unclean_with_shipped_mapping(amr_r_dir):
    path = amr_r_dir / "example_isolates_unclean.tsv"
    rows = _rows(path, "\t")
    rejected = _rejected(rows, "date", "bacteria")
    n_rows, n_results, n_unreadable = _expected(rows, ["AMX", "AMC", "CIP", "GEN"], rejected)
    result = read_upload(path, mapping=shipped_mapping("amr_example_isolates_unclean"),
                         lab="TST", country="ARG", key=KEY)
    assert result.reader == "csv"
    assert (n_rows, len(rejected), n_results, n_unreadable) == (3000, 0, 12000, 0)
    assert result.isolates.num_rows == n_rows - len(rejected)
    assert result.ast_results.num_rows == n_results
    # Every free-text organism ("E. coli", "esccol", "Escherichia coli") was resolved.
    assert result.isolates["mo"].null_count == 0
    # "< 0.5 S" is split into the measurement and the lab's category.
    mixed = result.ast_results.filter(pc.equal(result.ast_results["value_raw"], "<0.5"))
    assert mixed.num_rows == sum(1 for r in rows for c in ("AMX", "AMC") if r[c] == "< 0.5 S")
    assert set(mixed["lab_sir"].to_pylist()) == {"S"}
    _assert_rejections_explained(result)


@pytest.mark.shared
def test_expected_resistance_flags_klebsiella_ampicillin_s(amr_r_dir):
    """K. pneumoniae reported amoxicillin-S contradicts AMR's intrinsic_resistant table."""
    path = amr_r_dir / "example_isolates_unclean.tsv"
    rows = _rows(path, "\t")
    kleb_s = [i + 1 for i, r in enumerate(rows)
              if r["bacteria"] in ("K. pneumoniae", "klepne", "Klebsiella pneumoniae")
              and r["AMX"].strip().endswith(("S", "I"))]
    result = read_upload(path, mapping=shipped_mapping("amr_example_isolates_unclean"),
                         lab="TST", country="ARG", key=KEY)
    issues = result.issues.filter(pc.and_(
        pc.equal(result.issues["reason"], "expected_resistance_violation"),
        pc.equal(result.issues["column"], "AMX")))
    assert kleb_s and set(kleb_s) <= set(issues["row"].to_pylist())
    assert result.quality["components"]["plausibility"] < 1
