"""Magiorakos 2012 MDR/XDR/PDR and GLASS/EARS-Net indicators.

MDRO classes are compared with AMR 3.0.0 `mdro(guideline = "CMI 2012")` on example_isolates
(tests/fixtures/analyse/mdro.tsv); small hand-made isolates check each rule of the paper.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pytest

from amrwatch import refdata
from amrwatch.analyse.isolates import antimicrobial_codes
from amrwatch.analyse.mdro import definitions, indicators, mdro
from amrwatch.tables import read_table

FIXTURES = Path(__file__).parent / "fixtures" / "analyse"
AMR_LABELS = {"Negative": "negative", "Multi-drug-resistant (MDR)": "MDR",
              "Extensively drug-resistant (XDR)": "XDR", "Pandrug-resistant (PDR)": "PDR"}


def test_mdro_classes_equal_amr_on_example_isolates() -> None:
    out = mdro(refdata.table("example_isolates"))
    expected = [AMR_LABELS.get(v) for v in read_table(FIXTURES / "mdro.tsv").column("mdro").to_pylist()]
    assert out.column("mdro").to_pylist() == expected


def test_categories_tested_match_amr_reasons() -> None:
    out = mdro(refdata.table("example_isolates"))
    reasons = read_table(FIXTURES / "mdro_verbose.tsv").column("reason").to_pylist()
    checked = 0
    for tested, reason in zip(out.column("categories_tested").to_pylist(), reasons):
        found = re.match(r"not enough classes available: (\d+) of required", reason or "")
        if found:
            assert tested == int(found.group(1))
            checked += 1
    assert checked > 100


def _isolate(mo: str, results: dict[str, str]) -> pa.Table:
    return pa.table({"mo": [mo], **{ab: [sir] for ab, sir in results.items()}})


def test_three_resistant_categories_make_mdr_and_mrsa_is_always_mdr() -> None:
    ecoli = {"GEN": "R", "CIP": "R", "SXT": "R", "AMC": "S", "CTX": "S", "MEM": "S", "FOX": "S",
             "TGC": "S", "ATM": "S", "CHL": "S", "FOS": "S", "COL": "S", "TZP": "S"}
    out = mdro(_isolate("B_ESCHR_COLI", ecoli))
    assert out.column("mdro").to_pylist() == ["MDR"]
    assert out.column("categories_nonsusceptible").to_pylist() == [3]
    mrsa = mdro(_isolate("B_STPHY_AURS", {"OXA": "R", "VAN": "S"}))
    assert mrsa.column("mdro").to_pylist() == ["MDR"]


def test_too_few_categories_is_not_negative_and_lists_untested() -> None:
    out = mdro(_isolate("B_PSDMN_AERG", {"MEM": "S", "CAZ": "S"}))  # 2 of 8 categories (< 4)
    assert out.column("mdro").to_pylist() == [None]
    assert out.column("mdro_reason").to_pylist() == ["too_few_categories_tested"]
    assert "polymyxins" in out.column("categories_not_tested")[0].as_py()


def test_xdr_and_pdr() -> None:
    groups = {g["name"]: g for g in definitions()["organism_groups"]}
    drugs = [d for ds in groups["Pseudomonas aeruginosa"]["categories"].values() for d in ds[:1]]
    xdr = {d: "R" for d in drugs[:-2]} | {d: "S" for d in drugs[-2:]}
    assert mdro(_isolate("B_PSDMN_AERG", xdr)).column("mdro").to_pylist() == ["XDR"]
    pdr = {d: "R" for d in drugs}
    assert mdro(_isolate("B_PSDMN_AERG", pdr)).column("mdro").to_pylist() == ["PDR"]


def test_definition_drugs_exist_in_the_antimicrobials_table() -> None:
    codes = antimicrobial_codes()
    for group in definitions()["organism_groups"]:
        for drugs in group["categories"].values():
            assert set(drugs) <= codes, group["name"]
    for item in definitions("resistance_indicators")["indicators"].values():
        assert set(item["resistant_to_any"]) <= codes


@pytest.mark.parametrize(("mo", "results", "flag", "value"), [
    ("B_STPHY_AURS", {"FOX": "R"}, "MRSA", True),
    ("B_STPHY_AURS", {"FOX": "S"}, "MRSA", False),
    ("B_ESCHR_COLI", {"MEM": "R"}, "CRE", True),
    ("B_ESCHR_COLI", {"CIP": "R"}, "FQR_ECOLI", True),
    ("B_KLBSL_PNMN", {"CIP": "R"}, "FQR_ECOLI", None),
    ("B_ACNTB_BMNN", {"IPM": "R"}, "CRAB", True),
    ("B_ENTRC_FACM", {"VAN": "R"}, "VRE", True),
    ("B_PSDMN_AERG", {"CAZ": "R"}, "CRPA", None),
    ("B_KLBSL_PNMN", {"CTX": "R"}, "3GCR_ENTEROBACTERALES", True),
])
def test_indicator_flags(mo: str, results: dict[str, str], flag: str, value: bool | None) -> None:
    assert indicators(_isolate(mo, results)).column(flag).to_pylist() == [value]


def test_paper_reading_counts_i_as_non_susceptible() -> None:
    ecoli = {"GEN": "I", "CIP": "R", "SXT": "R", "AMC": "S", "CTX": "S", "MEM": "S", "FOX": "S",
             "TGC": "S", "ATM": "S", "CHL": "S", "FOS": "S", "COL": "S", "TZP": "S"}
    assert mdro(_isolate("B_ESCHR_COLI", ecoli)).column("mdro").to_pylist() == ["negative"]
    assert mdro(_isolate("B_ESCHR_COLI", ecoli), nonsusceptible="RI").column(
        "mdro").to_pylist() == ["MDR"]


def test_long_results_give_one_row_per_isolate_with_indicators() -> None:
    from amrwatch.analyse.isolates import to_long
    from amrwatch.analyse.mdro import mdro_with_indicators

    long = to_long(refdata.table("example_isolates"))
    out = mdro_with_indicators(long)
    assert out.num_rows == len(set(long.column("isolate_id").to_pylist()))
    assert out.column("mdro").to_pylist().count("MDR") == 128
    assert "FQR_ECOLI" in out.column_names
