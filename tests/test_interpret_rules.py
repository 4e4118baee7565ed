"""Expert rules and the integrity of the interpretation data files."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa

from amrwatch.interpret import REASONS, interpret
from amrwatch.interpret.data import read_yaml
from amrwatch.interpret.policy import policies
from amrwatch.interpret.rules import expand, rule_catalogue
from amrwatch.refdata import table

SRC = Path(__file__).resolve().parents[1] / "src" / "amrwatch" / "interpret"

MRSA = pa.table({  # CLSI 2025 S. aureus oxacillin S<=2 R>=4 (Table 2C)
    "isolate_id": ["1", "1", "1", "1", "2", "2"],
    "organism": ["Staphylococcus aureus"] * 6,
    "antimicrobial": ["OXA", "AMC", "CPT", "VAN", "OXA", "AMC"],
    "method": ["MIC"] * 6, "value": ["4", "0.5", "0.5", "1", "0.25", "0.5"],
})


def test_mrs_rule_sets_beta_lactams_resistant_except_anti_mrsa_drugs() -> None:
    result = interpret(MRSA, guideline="CLSI 2025")
    assert result["reason"].to_pylist()[:4] == ["interpreted", "expert_rule", "interpreted",
                                                 "interpreted"]
    assert result["sir"].to_pylist()[:4] == ["R", "R", "S", "S"]
    assert result["breakpoint_id"][1].as_py() == "expert-rule/MRS"
    assert result["reason"][5].as_py() != "expert_rule"  # isolate 2 is oxacillin susceptible


def test_rules_need_an_isolate_and_are_off_in_the_amr_policy() -> None:
    alone = interpret(MRSA.drop_columns(["isolate_id"]), guideline="CLSI 2025")
    assert "expert_rule" not in alone["reason"].to_pylist()
    amr = interpret(MRSA, guideline="CLSI 2025", policy="amr")
    assert "expert_rule" not in amr["reason"].to_pylist()


def test_blnar_needs_a_beta_lactamase_negative_result() -> None:
    rows = pa.table({"isolate_id": ["3"] * 3, "organism": ["Haemophilus influenzae"] * 3,
                     "antimicrobial": ["AMP", "AMC", "CXM"], "method": ["MIC"] * 3,
                     "value": ["4", "1", "1"]})
    without = interpret(rows, guideline="CLSI 2025")
    assert "expert_rule" not in without["reason"].to_pylist()
    negative = rows.append_column("beta_lactamase", pa.array(["negative"] * 3))
    assert interpret(negative, guideline="CLSI 2025")["reason"].to_pylist() == [
        "interpreted", "expert_rule", "expert_rule"]


def test_rule_codes_and_organisms_exist_in_the_reference_tables() -> None:
    drugs = set(table("antimicrobials")["ab"].to_pylist())
    organisms = set(table("microorganisms")["mo"].to_pylist())
    for code, rule in rule_catalogue().items():
        assert rule["source"] and rule["description"], code
        assert set(expand(rule["affected"])) <= drugs, code
        assert set(expand(rule["except"])) <= drugs, code
        assert set(rule["organisms"]) <= organisms, code
        for term in rule.get("when_all", []) + rule.get("when_any", []):
            assert set(term.get("antimicrobial", [])) <= drugs, code


def test_policies_use_known_rules_and_every_setting_is_documented() -> None:
    known = set(rule_catalogue())
    header = (SRC / "data" / "policies.yaml").read_text(encoding="utf-8")
    for name, policy in policies().items():
        assert set(policy["expert_rules"]) <= known, name
        for setting in policy:
            if setting != "description":
                assert re.search(rf"#\s+{setting}\b", header), f"{setting} undocumented"


def test_reason_codes_used_in_the_engine_are_in_the_catalogue() -> None:
    sql = (SRC / "select.py").read_text() + (SRC / "values.py").read_text() + \
        (SRC / "run.py").read_text() + (SRC / "rules.py").read_text()
    used = set(re.findall(r"'([a-z]+(?:_[a-z]+)+)'", sql)) & {
        w for w in re.findall(r"[a-z]+(?:_[a-z]+)+", sql) if w in REASONS or w.startswith(
            ("unresolved_", "missing_", "unparseable_", "value_", "no_", "expected_"))}
    assert used <= set(REASONS), used - set(REASONS)
    docs = (SRC.parents[2] / "docs" / "interpretation.md").read_text(encoding="utf-8")
    assert all(f"`{code}`" in docs for code in REASONS)


def test_vocabulary_and_levels_files_parse() -> None:
    assert len(read_yaml("amr_mic_levels.yaml")["levels"]) == 371  # AMR 3.0.0 as.mic levels
    assert "non-meningitis" in [s.lower() for s in read_yaml("vocabulary.yaml")["site_priority"]]


def test_every_reason_is_described_in_the_four_languages() -> None:
    from amrwatch.interpret.reasons import LANGUAGES, describe

    for code in REASONS:
        texts = {language: describe(code, language) for language in LANGUAGES}
        assert all(texts.values()) and len(set(texts.values())) == 4, code
    assert describe("missing_value", "de") == REASONS["missing_value"]
