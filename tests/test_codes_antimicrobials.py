"""Antimicrobial resolution; expected codes come from the AMR antimicrobials table and data files."""

from __future__ import annotations

import pytest

from amrwatch.codes import antimicrobial_properties, resolve_antimicrobials
from amrwatch.codes.data import read_terms
from amrwatch.errors import ConfigurationError
from amrwatch.refdata import table
from amrwatch.schemas import ANTIMICROBIAL_MATCH, ANTIMICROBIAL_PROPERTIES


@pytest.fixture(autouse=True)
def _no_user_whonet_tables(tmp_path, monkeypatch):
    """AMR tables only: a developer's own WHONET import must not change these expectations."""
    monkeypatch.setenv("AMRWATCH_HOME", str(tmp_path))


def _column(name: str) -> list:
    return table("antimicrobials")[name].to_pylist()


def test_every_amr_code_and_name_resolves_to_itself():
    codes = _column("ab")
    by_code = resolve_antimicrobials(codes, coding="amr")
    assert by_code.schema == ANTIMICROBIAL_MATCH
    assert by_code["ab"].to_pylist() == codes
    names = _column("name")
    by_name = resolve_antimicrobials(names)
    assert [ab for ab, name, got in zip(codes, names, by_name["ab"].to_pylist(), strict=True)
            if got != ab] == []


def test_atc_and_loinc_codes_that_name_one_drug():
    pairs = {"atc": {}, "loinc": {}}
    for ab, atc, loinc in zip(_column("ab"), _column("atc"), _column("loinc"), strict=True):
        for kind, value in (("atc", atc), ("loinc", loinc)):
            for code in (value or "").split("|"):
                if code:
                    pairs[kind].setdefault(code, set()).add(ab)
    for kind, mapping in pairs.items():
        unique = {code: abs_.pop() for code, abs_ in mapping.items() if len(abs_) == 1}
        result = resolve_antimicrobials(list(unique))
        assert result["ab"].to_pylist() == list(unique.values()), kind
        assert not any(result["uncertain"].to_pylist())


def test_shared_atc_code_prefers_the_drug_with_breakpoints():
    # J01CR02 is "amoxicillin and beta-lactamase inhibitor": AMC and AXS in the AMR table.
    row = resolve_antimicrobials(["J01CR02"]).to_pylist()[0]
    assert row["ab"] == "AMC" and row["uncertain"] is False


@pytest.mark.parametrize(
    ("term", "coding", "ab", "uncertain"),
    [
        ("STR_ND10", "auto", "STR1", False),  # WHONET test column: streptomycin
        ("STR", "whonet", "STR1", False),
        ("STR", "amr", "STR", False),  # AMR STR = streptoduocin
        ("STR", "auto", "STR1", True),  # both systems know STR: flagged for review
        ("ROX", "auto", "RXT", False),  # only WHONET knows ROX
        ("SUD", "amr", "SUD", False),  # sulfadimethoxine
        ("AMP_ND10", "auto", "AMP", False),
        ("PEN_EE", "auto", "PEN", False),
        ("CIP_NM", "auto", "CIP", False),
    ],
)
def test_whonet_and_amr_codings(term, coding, ab, uncertain):
    row = resolve_antimicrobials([term], coding=coding).to_pylist()[0]
    assert (row["ab"], row["uncertain"]) == (ab, uncertain)


def test_whonet_code_exceptions_name_the_same_drug():
    names = dict(zip(_column("ab"), _column("name"), strict=True))
    for row in read_terms("whonet_antimicrobial_codes.tsv"):
        if row["ab"] in names:
            assert names[row["ab"]].lower() == row["whonet_name"].lower()
        assert names.get(row["whonet"], "").lower() != row["whonet_name"].lower()


def test_whonet_export_headers_resolve():
    headers = [c for c in table("WHONET").column_names if "_" in c and c[3:4] == "_"]
    result = resolve_antimicrobials(headers, coding="whonet")
    assert result["ab"].null_count == 0
    # the drug code before "_" is the AMR code except for the trap-8 exceptions
    exceptions = {row["whonet"]: row["ab"] for row in read_terms("whonet_antimicrobial_codes.tsv")}
    assert result["ab"].to_pylist() == [exceptions.get(h[:3], h[:3]) for h in headers]


@pytest.mark.parametrize(
    ("term", "ab"),
    [
        ("amoxicilina/ác. clavulánico", "AMC"),
        ("Amoxicilina + ácido clavulânico", "AMC"),
        ("ácido clavulánico/amoxicilina", "AMC"),
        ("piperacilina-tazobactam", "TZP"),
        ("sulfametoxazol/trimetoprima", "SXT"),
        ("Trimetoprima-Sulfametoxazol", "SXT"),
        ("ceftazidima-avibactam", "CZA"),
        ("Ciprofloxacino", "CIP"),
        ("meropeném", "MEM"),
        ("Gentamicina", "GEN"),
        ("J01CA04", "AMX"),
        ("Amoxicillin/clavulanic acid", "AMC"),
        ("amoxicilina + clavulanato de potássio", "AMC"),
        ("ampicilina sulbactam", "SAM"),
        ("colistina (polimixina E)", "COL"),
        ("penicilina G benzatínica", "BNB"),
    ],
)
def test_names_in_english_spanish_portuguese(term, ab):
    row = resolve_antimicrobials([term]).to_pylist()[0]
    assert (row["ab"], row["uncertain"]) == (ab, False)


def test_spanish_portuguese_file_rows_resolve_to_their_code():
    rows = read_terms("antimicrobial_names_es_pt.tsv")
    result = resolve_antimicrobials([row["name"] for row in rows])
    wrong = [(row["name"], row["ab"], got) for row, got in
             zip(rows, result["ab"].to_pylist(), strict=True) if got != row["ab"]]
    assert wrong == []


def test_fuzzy_drug_names_are_uncertain():
    row = resolve_antimicrobials(["ciprofloxacinn"]).to_pylist()[0]
    assert row["ab"] == "CIP" and row["uncertain"] is True and row["reason"] == "fuzzy"


def test_unknown_coding_is_a_configuration_error():
    with pytest.raises(ConfigurationError):
        resolve_antimicrobials(["AMC"], coding="whonett")


def test_properties_class_atc_aware_ddd_from_the_tables():
    rows = {row["ab"]: row for row in table("antimicrobials").to_pylist()}
    result = antimicrobial_properties(["MEM", "AMC", "GEN", None, "NOPE"], whonet=None)
    assert result.schema == ANTIMICROBIAL_PROPERTIES
    mem, amc, gen, empty, unknown = result.to_pylist()
    assert mem["drug_class"] == rows["MEM"]["group"] and mem["iv_ddd"] == rows["MEM"]["iv_ddd"]
    assert set(amc["atc"]) == set(rows["AMC"]["atc"].split("|")) and amc["atc"][0].startswith("J")
    assert gen["atc"][0].startswith("J01")
    aware = {row["antibiotic"]: row["category"] for row in read_terms("aware_2023.tsv")}
    assert (mem["aware"], amc["aware"], gen["aware"]) == (aware["Meropenem"],
                                                           aware["Amoxicillin/clavulanic acid"],
                                                           aware["Gentamicin"])
    assert empty["ab"] is None and unknown["ab"] is None


def test_every_aware_row_names_one_drug_with_certainty():
    from amrwatch.codes.antimicrobials import match_drug

    rows = read_terms("aware_2023.tsv")
    matches = [match_drug(row["antibiotic"], "amr") for row in rows]
    assert [row["antibiotic"] for row, m in zip(rows, matches, strict=True)
            if m.code is None or m.uncertain] == []
    assert {row["category"] for row in rows} <= {"Access", "Watch", "Reserve", "Not recommended"}


def test_a_lab_mapping_wins_and_must_name_a_drug_with_certainty():
    result = resolve_antimicrobials(["AUGMENTIN 875 mg", "AMC"], mapping={"augmentin 875 mg": "AMC"})
    assert result["ab"].to_pylist() == ["AMC", "AMC"]
    assert result["matched_on"].to_pylist() == ["mapping", "ab"]
    with pytest.raises(ConfigurationError):
        resolve_antimicrobials(["x"], mapping={"x": "not a drug at all"})
