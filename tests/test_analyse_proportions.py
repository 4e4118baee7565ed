"""Intervals against published values; the minimum-n rule; antibiograms and WISCA against AMR 3.0.0.

Wilson values: Newcombe RG, Stat Med 1998;17:857-872, Table II method 3 (81/263, 15/148, 0/20, 1/29),
and the closed forms z^2/(n+z^2) for 0/n and n/n (Wilson 1927) with z = 1.95996.
Clopper-Pearson values: exact binomial limits, 0/30 upper = 1 - 0.025^(1/30) = 11.57 % (the "rule of
three" case tabulated in e.g. Hanley & Lippman-Hand, JAMA 1983;249:1743), 0/10 upper 30.85 %.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from amrwatch import refdata
from amrwatch.analyse.antibiogram import antibiogram, regimens, wisca
from amrwatch.analyse.proportions import interval, resistance
from amrwatch.errors import ConfigurationError, InputError
from amrwatch.tables import read_table

FIXTURES = Path(__file__).parent / "fixtures" / "analyse"


@pytest.mark.parametrize(("k", "n", "low", "high"), [
    (0, 10, 0.0, 0.2775),
    (5, 10, 0.2366, 0.7634),
    (10, 10, 0.7225, 1.0),
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0, 0.1611),
    (1, 29, 0.0061, 0.1718),
    (500, 1000, 0.4691, 0.5309),
])
def test_wilson_textbook_values(k: int, n: int, low: float, high: float) -> None:
    lo, hi = interval([k], [n], "wilson")
    assert lo[0] == pytest.approx(low, abs=5e-5) and hi[0] == pytest.approx(high, abs=5e-5)


@pytest.mark.parametrize(("k", "n", "low", "high"), [
    (0, 30, 0.0, 0.1157), (0, 10, 0.0, 0.3085), (5, 10, 0.1871, 0.8129), (10, 10, 0.6915, 1.0),
])
def test_clopper_pearson_textbook_values(k: int, n: int, low: float, high: float) -> None:
    lo, hi = interval([k], [n], "clopper-pearson")
    assert lo[0] == pytest.approx(low, abs=5e-5) and hi[0] == pytest.approx(high, abs=5e-5)


def test_minimum_n_marks_cells_insufficient_not_zero() -> None:
    table = pa.table({
        "mo": ["B_ESCHR_COLI"] * 40 + ["B_KLBSL_PNMN"] * 5,
        "CIP": ["S"] * 30 + ["R"] * 10 + ["S"] * 5,
    })
    out = {row["organism"]: row for row in resistance(table, by=["organism"]).to_pylist()}
    assert out["B_ESCHR_COLI"]["status"] == "ok"
    assert out["B_ESCHR_COLI"]["pct_R"] == pytest.approx(25.0)
    assert out["B_KLBSL_PNMN"]["status"] == "insufficient"
    assert out["B_KLBSL_PNMN"]["pct_R"] is None and out["B_KLBSL_PNMN"]["n_tested"] == 5


def test_grouping_by_year_quarter_and_age_group() -> None:
    table = pa.table({"date": ["2020-02-01", "2020-11-30"], "age": ["0.5", "86"],
                      "mo": ["B_ESCHR_COLI"] * 2, "CIP": ["R", "S"]})
    out = resistance(table, by=["quarter", "age_group"], min_n=1).to_pylist()
    assert [(r["quarter"], r["age_group"], r["n_R"]) for r in out] == [
        ("2020-Q1", "<1", 1), ("2020-Q4", "85<", 0)]
    with pytest.raises(InputError, match="Cannot group by 'ward'"):
        resistance(table, by=["ward"])
    with pytest.raises(ConfigurationError):
        interval([1], [2], "jeffreys")


def test_traditional_antibiogram_equals_amr() -> None:
    expected = read_table(FIXTURES / "antibiogram_traditional.tsv").to_pylist()
    out = antibiogram(refdata.table("example_isolates"), regimens("GEN,TOB,AMK,IPM,MEM,CIP,SXT"),
                      organism_label="name")
    names = {r["ab"]: r["ab"] for r in expected}
    drug = dict(zip(["Gentamicin", "Tobramycin", "Amikacin", "Imipenem", "Meropenem",
                     "Ciprofloxacin", "Trimethoprim/sulfamethoxazole"],
                    ["GEN", "TOB", "AMK", "IPM", "MEM", "CIP", "SXT"]))
    mine = {(r["organism"], r["regimen"]): r for r in out.to_pylist()}
    checked = 0
    for row in expected:  # AMR short names "E. coli" -> match on "Escherichia coli"
        genus, _, species = row["mo"].partition(". ")
        match = [v for (name, ab), v in mine.items() if ab == drug[names[row["ab"]]]
                 and name.startswith(genus) and name.endswith(" " + species) and species]
        if len(match) != 1:
            continue
        got = match[0]
        assert got["n_tested"] == int(row["n_tested"]) and got["n_susceptible"] == int(row["n_susceptible"])
        assert got["coverage"] == pytest.approx(float(row["coverage"]))
        assert got["lower_ci"] == pytest.approx(float(row["lower_ci"]), abs=1e-6)
        assert got["upper_ci"] == pytest.approx(float(row["upper_ci"]), abs=1e-6)
        checked += 1
    assert checked >= 20


def test_combination_antibiogram_equals_amr() -> None:
    expected = read_table(FIXTURES / "antibiogram_combination.tsv").to_pylist()
    out = antibiogram(refdata.table("example_isolates"), regimens(["TZP", "TZP+GEN", "TZP+TOB"]),
                      organism_label="gramstain")
    mine = {(r["organism"], r["regimen"]): r for r in out.to_pylist()}
    label = {"Piperacillin/tazobactam": "TZP", "Piperacillin/tazobactam + Gentamicin": "TZP + GEN",
             "Piperacillin/tazobactam + Tobramycin": "TZP + TOB"}
    for row in expected:
        got = mine[(row["mo"], label[row["ab"]])]
        assert (got["n_total"], got["n_tested"], got["n_susceptible"]) == (
            int(row["n_total"]), int(row["n_tested"]), int(row["n_susceptible"]))
        assert got["lower_ci"] == pytest.approx(float(row["lower_ci"]), abs=1e-6)


def test_wisca_agrees_with_amr_within_simulation_error() -> None:
    expected = {r["ab"]: r for r in read_table(FIXTURES / "wisca.tsv").to_pylist()}
    label = {"TZP": "Piperacillin/tazobactam", "TZP + GEN": "Piperacillin/tazobactam + Gentamicin",
             "AMC": "Amoxicillin/clavulanic acid", "CIP": "Ciprofloxacin"}
    out = wisca(refdata.table("example_isolates"), regimens("TZP,TZP+GEN,AMC,CIP"),
                simulations=4000, seed=7)
    for row in out.to_pylist():
        ref = expected[label[row["regimen"]]]
        assert row["n_tested"] == int(ref["n_tested"])
        assert row["coverage"] == pytest.approx(float(ref["coverage"]), abs=0.004)
        assert row["lower_ci"] == pytest.approx(float(ref["lower_ci"]), abs=0.008)
        assert row["upper_ci"] == pytest.approx(float(ref["upper_ci"]), abs=0.008)
    assert np.all(out.column("lower_ci").to_numpy() < out.column("coverage").to_numpy())


def test_one_category_per_isolate_and_drug_the_most_resistant() -> None:
    long = pa.table({"isolate_id": ["1", "1", "2"], "mo": ["B_ESCHR_COLI"] * 3,
                     "ab": ["CIP", "CIP", "CIP"], "sir": ["S", "R", "S"]})  # isolate 1: MIC S, disk R
    row = resistance(long, min_n=1).to_pylist()[0]
    assert (row["n_tested"], row["n_R"], row["n_S"]) == (2, 1, 1)
    combined = antibiogram(long, regimens("CIP"), min_n=1).to_pylist()[0]
    assert (combined["n_tested"], combined["n_susceptible"]) == (2, 1)


def test_syndromic_antibiogram_equals_amr() -> None:
    expected = read_table(FIXTURES / "antibiogram_syndromic.tsv").to_pylist()
    out = antibiogram(refdata.table("example_isolates"), regimens("TZP,TZP+GEN"),
                      organism_label="gramstain", syndromic="ward")
    mine = {(r["syndromic_group"], r["organism"], r["regimen"]): r for r in out.to_pylist()}
    label = {"Piperacillin/tazobactam": "TZP", "Piperacillin/tazobactam + Gentamicin": "TZP + GEN"}
    for row in expected:
        got = mine[(row["syndromic_group"], row["mo"], label[row["ab"]])]
        assert (got["n_total"], got["n_tested"], got["n_susceptible"]) == (
            int(row["n_total"]), int(row["n_tested"]), int(row["n_susceptible"]))
        assert got["upper_ci"] == pytest.approx(float(row["upper_ci"]), abs=1e-6)
    assert len(expected) == 9


def test_combination_coverage_by_a_derived_stratum() -> None:
    out = antibiogram(refdata.table("example_isolates"), regimens("TZP+GEN"),
                      organism_label="gramstain", syndromic="year", min_n=1)
    years = {r["syndromic_group"] for r in out.to_pylist()}
    assert {"2002", "2017"} <= years


@pytest.mark.parametrize("method", ["wilson", "clopper-pearson"])
def test_intervals_always_contain_the_estimate(method: str) -> None:
    n = np.repeat(np.arange(1, 300), 3)
    k = np.concatenate([[0, m // 2, m] for m in range(1, 300)])
    low, high = interval(k, n, method)
    assert np.all(low <= k / n) and np.all(high >= k / n)
    assert np.all(low[k == 0] == 0) and np.all(high[k == n] == 1)


def test_intervals_equal_r_stats() -> None:
    """Clopper-Pearson = R binom.test; Wilson = R prop.test without continuity correction."""
    import shutil
    import subprocess

    from conftest import missing

    if shutil.which("Rscript") is None:
        missing("r", "Rscript not found: cannot compare intervals with R's stats package")
    k, n = [0, 3, 17, 50, 99], [30, 40, 61, 100, 100]
    script = (f"k <- c({','.join(map(str, k))}); n <- c({','.join(map(str, n))}); "
              "for (i in seq_along(k)) cat(sprintf('%.12f', c(binom.test(k[i], n[i])$conf.int, "
              "prop.test(k[i], n[i], correct = FALSE)$conf.int)), '\\n')")
    done = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
    rows = [list(map(float, line.split())) for line in done.stdout.strip().splitlines()]
    cp_low, cp_high = interval(k, n, "clopper-pearson")
    w_low, w_high = interval(k, n, "wilson")
    for i, row in enumerate(rows):
        assert (cp_low[i], cp_high[i]) == pytest.approx(row[:2], abs=1e-9)
        assert (w_low[i], w_high[i]) == pytest.approx(row[2:], abs=1e-9)
