"""Organism resolution against the AMR reference tables (expected values come from those tables)."""

from __future__ import annotations

import collections

import pyarrow as pa
import pytest

from amrwatch.codes import organism_properties, resolve_organisms
from amrwatch.codes.data import read_terms
from amrwatch.codes.taxonomy import vocabulary
from amrwatch.refdata import table
from amrwatch.schemas import ORGANISM_MATCH


@pytest.fixture(autouse=True)
def _no_user_whonet_tables(tmp_path, monkeypatch):
    """AMR tables only: a developer's own WHONET import must not change these expectations."""
    monkeypatch.setenv("AMRWATCH_HOME", str(tmp_path))


def test_four_ways_of_writing_e_coli_give_one_organism():
    result = resolve_organisms(["E. coli", "eco", "B_ESCHR_COLI", "112283007"])
    assert result.schema == ORGANISM_MATCH
    assert set(result["mo"].to_pylist()) == {"B_ESCHR_COLI"}
    assert result["fullname"].to_pylist() == ["Escherichia coli"] * 4
    assert not any(result["uncertain"].to_pylist())


def test_every_row_of_microorganisms_codes_resolves_to_its_listed_organism():
    codes = table("microorganisms.codes")
    microorganisms = table("microorganisms").to_pydict()
    name_of = dict(zip(microorganisms["mo"], microorganisms["fullname"], strict=True))
    # Expected: the ACCEPTED name of the listed mo, following LPSN/GBIF renames in the table itself.
    accepted = vocabulary().accepted
    expected = [name_of[accepted[mo]] for mo in codes["mo"].to_pylist()]
    result = resolve_organisms(codes["code"])
    assert result.num_rows == 6036
    wrong = [(c, e, g) for c, e, g in zip(codes["code"].to_pylist(), expected,
                                         result["fullname"].to_pylist(), strict=True) if e != g]
    assert wrong == []


def test_renamed_taxa_follow_to_the_accepted_name():
    rows = table("microorganisms").to_pylist()
    synonyms = [row for row in rows if row["status"] == "synonym" and row["lpsn_renamed_to"]][:300]
    lpsn = {row["lpsn"]: row for row in rows if row["lpsn"] and row["status"] == "accepted"}
    result = resolve_organisms([row["fullname"] for row in synonyms])
    for row, mo, reason in zip(synonyms, result["mo"].to_pylist(), result["reason"].to_pylist(),
                               strict=True):
        target = lpsn.get(row["lpsn_renamed_to"])
        if target is not None:
            assert mo == target["mo"], row["fullname"]
            assert reason in ("renamed", "resolved", "ambiguous_name")


def test_unclean_bacteria_column_resolves_and_nothing_uncertain_is_accepted_silently():
    data = table("example_isolates_unclean")
    result = resolve_organisms(data["bacteria"])
    assert result.num_rows == data.num_rows
    assert result["mo"].null_count == 0
    seen = collections.defaultdict(set)
    for text, mo, uncertain in zip(data["bacteria"].to_pylist(), result["mo"].to_pylist(),
                                   result["uncertain"].to_pylist(), strict=True):
        seen[text].add((mo, uncertain))
    # Each spelling names one of four species, taken from the spelled-out names in the file.
    full = {"E": "B_ESCHR_COLI", "S. a": "B_STPHY_AURS", "S. p": "B_STRPT_PNMN", "K": "B_KLBSL_PNMN"}
    expected = {"Escherichia coli": full["E"], "esccol": full["E"], "E. coli": full["E"],
                "Staphylococcus aureus": full["S. a"], "staaur": full["S. a"], "S. aureus": full["S. a"],
                "Streptococcus pneumoniae": full["S. p"], "strpne": full["S. p"],
                "S. pneumoniae": full["S. p"], "Klebsiella pneumoniae": full["K"],
                "klepne": full["K"], "K. pneumoniae": full["K"]}
    assert {text: outcomes for text, outcomes in seen.items()} == {
        text: {(mo, False)} for text, mo in expected.items()}


@pytest.mark.parametrize(
    ("term", "mo", "reason"),
    [
        ("Enterobacter cloacae complex", "B_ENTRBC_CLOC-C", "resolved"),  # the complex is a taxon
        ("Klebsiella oxytoca complex", "B_KLBSL_OXYT", "complex_to_species"),
        ("complejo Klebsiella oxytoca", "B_KLBSL_OXYT", "complex_to_species"),
        ("Salmonella enterica subsp. nonexistens", "B_SLMNL_ENTR", "subspecies_to_species"),
        ("Escherichia coli O157", "B_ESCHR_COLI", "qualifier_removed"),
        ("Escherichia spp.", "B_ESCHR", "genus_from_spp"),
        ("Candida auris", "F_CANDD_AURS", "resolved"),  # AMR issue #73
        ("Trichomonas vaginalis", "P_THMNS_VAG", "resolved"),
        ("Estafilococo coagulasa negativo", "B_STPHY_CONS", "alias"),
        ("Salmonella enterica serovar Typhimurium", "B_SLMNL_HMRM", "resolved"),
        ("Campylobacter fetus ss. fetus", "B_CMPYL_FETS_FETS", "resolved"),
        ("Streptococcus grupo B", "B_STRPT_GRPB", "alias"),
        ("Levaduras", "F_YEAST", "alias"),
    ],
)
def test_qualified_names_fall_back_as_documented(term, mo, reason):
    row = resolve_organisms([term]).to_pylist()[0]
    assert (row["mo"], row["reason"]) == (mo, reason)
    assert row["uncertain"] is False


@pytest.mark.parametrize("term", ["Plasmodium falciparum", "Plasmodium vivax", "Ascaris lumbricoides",
                                  "Giardia lamblia", "Entamoeba histolytica", "Toxoplasma gondii",
                                  "Trypanosoma cruzi", "Leishmania braziliensis", "Plasmodim falciparum"])
def test_parasite_names_never_resolve_to_a_bacterium(term):
    row = resolve_organisms([term]).to_pylist()[0]
    assert row["kingdom"] != "Bacteria", row  # AMR issues #286, #287


def test_parasites_not_in_taxonomy_are_absent():
    genera = {row["genus"] for row in table("microorganisms").select(["genus"]).to_pylist()}
    listed = [row["genus"] for row in read_terms("organisms_not_in_taxonomy.tsv")]
    assert [genus for genus in listed if genus in genera] == []


def test_aliases_resolve():
    rows = read_terms("organism_aliases.tsv")
    result = resolve_organisms([row["term"] for row in rows])
    assert result["mo"].null_count == 0
    assert not any(result["uncertain"].to_pylist())


def test_a_question_mark_keeps_the_organism_but_asks_for_a_check():
    row = resolve_organisms(["E. coli?"]).to_pylist()[0]
    assert (row["mo"], row["reason"], row["uncertain"]) == ("B_ESCHR_COLI", "doubtful", True)


def test_fuzzy_matches_are_always_uncertain():
    row = resolve_organisms(["Eschericia colli"]).to_pylist()[0]
    assert row["mo"] == "B_ESCHR_COLI" and row["uncertain"] is True and row["reason"] == "fuzzy"


def test_whonet_case_rule_for_bare_upper_case_codes():
    lower, upper = resolve_organisms(["asa", "ASA"]).to_pylist()
    assert lower["mo"] == upper["mo"] == "B_AERMN_SLMN"  # asa = Aeromonas salmonicida
    assert lower["uncertain"] is False
    assert upper["uncertain"] is True and upper["reason"] == "ambiguous_code"  # or genus Asaccharospora


def test_result_is_aligned_with_chunked_input():
    values = pa.chunked_array([["eco", None, "sau"], ["", "eco"]])
    result = resolve_organisms(values)
    assert result["input"].to_pylist() == ["eco", None, "sau", "", "eco"]
    assert result["mo"].to_pylist() == ["B_ESCHR_COLI", None, "B_STPHY_AURS", None, "B_ESCHR_COLI"]


def test_properties_give_breakpoint_keys_from_the_amr_tables():
    coli, fragilis = organism_properties(["B_ESCHR_COLI", "B_BCTRD_FRGL"], whonet=None).to_pylist()
    assert coli["gram_stain"] == "Gram-negative" and coli["anaerobe"] is False
    assert "B_[ORD]_ENTRBCTR" in coli["breakpoint_keys"] and coli["breakpoint_keys"][0] == "B_ESCHR_COLI"
    assert coli["breakpoint_keys"][-1] == "B_GRAMN"
    groups = table("microorganisms.groups").to_pylist()
    expected_groups = {g["mo_group"] for g in groups if g["mo"] == "B_BCTRD_FRGL"}
    assert set(fragilis["groups"]) == expected_groups
    assert fragilis["anaerobe"] is True and "B_ANAER-NEG" in fragilis["breakpoint_keys"]


def test_spelling_variants_of_common_species_never_give_another_species_silently():
    rows = [row for row in table("microorganisms").to_pylist()
            if row["rank"] == "species" and row["status"] == "accepted" and row["prevalence"] == 1.0]
    rows = rows[::25]  # a spread of the clinically common species, deterministic
    variants = []
    for row in rows:
        genus, epithet = row["fullname"].split(" ", 1)
        variants += [(row["fullname"].upper(), True), (f"  {row['fullname'].lower()} ", True),
                     (f"{genus}   {epithet}", True), (f"{genus[0]}. {epithet}", False)]
    result = resolve_organisms([text for text, _ in variants]).to_pylist()
    expected = [vocabulary().accepted[row["mo"]] for row in rows for _ in range(4)]
    for (text, must_be_sure), want, got in zip(variants, expected, result, strict=True):
        if must_be_sure:
            assert (got["mo"], got["uncertain"]) == (want, False), text
        else:  # an abbreviation may be ambiguous, but then it says so
            assert got["mo"] == want or got["uncertain"] or got["mo"] is None, (text, got)


def test_fuzzy_budget_goes_to_the_most_frequent_terms(monkeypatch):
    from amrwatch.codes import fuzzy

    monkeypatch.setattr(fuzzy, "FUZZY_BUDGET", 2)
    values = ["Eschericia colli"] * 3 + ["Klebsiela pneumonia"] * 2 + ["Staphylococus aureus"]
    reasons = dict(zip(values, resolve_organisms(values)["reason"].to_pylist(), strict=True))
    assert reasons == {"Eschericia colli": "fuzzy", "Klebsiela pneumonia": "fuzzy",
                       "Staphylococus aureus": "unresolved_unknown"}
