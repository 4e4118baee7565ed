"""Rule file and rule engine: first occurrences, exceptional phenotypes, idempotent ids."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest
import yaml

from amrwatch import refdata
from amrwatch.detect.rules import LANGUAGES, evaluate_rules, load_rules
from amrwatch.detect.signals import signal_id
from amrwatch.errors import ReferenceDataError
from amrwatch.schemas import SIGNAL

COLUMNS = ("country", "lab_code", "isolate_id", "specimen_date", "mo", "ab", "sir")


def _results(rows: list[tuple]) -> pa.Table:
    return pa.table({c: [r[i] for r in rows] for i, c in enumerate(COLUMNS)})


BASELINE = [  # each lab's susceptible isolates months before: the labs have a history
    (country, lab, f"base-{lab}", "2024-09-01", "B_ESCHR_COLI", "MEM", "S")
    for country, lab in (("BRA", "BR1"), ("ARG", "AR1"), ("GTM", "GT1"))
]
FIRST_UPLOAD = BASELINE + [
    ("BRA", "BR1", "k1", "2025-01-02", "B_KLBSL_PNMN", "MEM", "R"),  # CRE
    ("BRA", "BR1", "k1", "2025-01-02", "B_KLBSL_PNMN", "CIP", "S"),
    ("BRA", "BR1", "e1", "2025-01-01", "B_ESCHR_COLI", "MEM", "S"),  # susceptible: nothing
    ("ARG", "AR1", "s1", "2025-01-03", "B_SERRT_MRCS", "COL", "R"),  # intrinsic: not COL-R
    ("ARG", "AR1", "a1", "2025-01-03", "B_STPHY_AURS", "VAN", "R"),  # VRSA
    ("GTM", "GT1", "c1", "2025-02-10", "F_CANDD_AURS", None, None),  # C. auris, no AST
]


def _by(signals: pa.Table, detector: str) -> list[dict]:
    return [s for s in signals.to_pylist() if s["detector"] == detector]


def test_packaged_rules_are_complete_and_refer_to_known_codes() -> None:
    rules = load_rules()
    known_ab = set(refdata.table("antimicrobials").column("ab").to_pylist())
    for rule in rules.rules:
        assert set(rule["description"]) == set(LANGUAGES)
        assert rule["source"] in rules.sources
    for spec in rules.phenotypes.values():
        assert set(spec.get("resistant_to_any", [])) <= known_ab
    ids = {r["id"] for r in rules.rules}
    assert {"FIRST-CRE", "FIRST-VRSA", "FIRST-COL-R-ENT", "FIRST-C-AURIS", "FIRST-PDR",
            "EXCEPTIONAL-PHENOTYPE", "SEND-TO-REFERENCE-LAB"} <= ids


def test_first_occurrences_per_lab_country_region() -> None:
    signals = evaluate_rules(_results(FIRST_UPLOAD))
    assert signals.schema.equals(SIGNAL)
    cre = {(s["country"], s["lab_code"]): s for s in _by(signals, "FIRST-CRE")}
    assert set(cre) == {("BRA", "BR1"), ("BRA", None), (None, None)}
    assert [cre[k]["severity"] for k in (("BRA", "BR1"), ("BRA", None), (None, None))] == \
        ["medium", "high", "critical"]
    evidence = json.loads(cre[("BRA", "BR1")]["evidence"])
    assert evidence["isolates"][0]["isolate_id"] == "k1" and evidence["isolates"][0]["agents"] == ["MEM"]
    assert not _by(signals, "FIRST-COL-R-ENT")  # Serratia is intrinsically colistin-resistant
    assert {s["lab_code"] for s in _by(signals, "FIRST-VRSA")} == {"AR1", None}
    assert len(_by(signals, "FIRST-C-AURIS")) == 3
    sent = {(json.loads(s["evidence"])["isolates"][0]["isolate_id"], s["phenotype"])
            for s in _by(signals, "SEND-TO-REFERENCE-LAB")}
    assert sent == {("k1", "CRE"), ("a1", "VRSA"), ("c1", "C-AURIS")}
    assert {s["phenotype"] for s in _by(signals, "EXCEPTIONAL-PHENOTYPE")} == {"VRSA"}


def test_rerun_after_the_next_upload_never_resignals() -> None:
    """Ids hash the event: the history re-evaluated with a new upload keeps every earlier id,
    and a second CRE in the same lab is no new first occurrence (only its confirmation request)."""
    before = evaluate_rules(_results(FIRST_UPLOAD))
    later = FIRST_UPLOAD + [
        ("BRA", "BR2", "base-BR2", "2024-10-01", "B_ESCHR_COLI", "MEM", "S"),
        ("ECU", "EC1", "base-EC1", "2024-10-01", "B_ESCHR_COLI", "COL", "S"),
        ("BRA", "BR1", "k2", "2025-03-01", "B_KLBSL_PNMN", "IPM", "R"),
        ("BRA", "BR2", "k3", "2025-03-02", "B_ESCHR_COLI", "ETP", "R"),
        ("ECU", "EC1", "m1", "2025-03-03", "B_ESCHR_COLI", "COL", "R"),
    ]
    after = evaluate_rules(_results(later))
    old_ids = set(before.column("signal_id").to_pylist())
    assert old_ids <= set(after.column("signal_id").to_pylist())
    new = [s for s in after.to_pylist() if s["signal_id"] not in old_ids]
    assert sorted((s["detector"], s["lab_code"] or s["country"] or "region") for s in new) == sorted([
        ("FIRST-CRE", "BR2"),
        ("SEND-TO-REFERENCE-LAB", "BR1"), ("SEND-TO-REFERENCE-LAB", "BR2"),
        ("FIRST-COL-R-ENT", "EC1"), ("FIRST-COL-R-ENT", "ECU"), ("FIRST-COL-R-ENT", "region"),
        ("EXCEPTIONAL-PHENOTYPE", "EC1"), ("SEND-TO-REFERENCE-LAB", "EC1"),
    ])
    first = _by(after, "FIRST-CRE")
    lab = next(s for s in first if s["lab_code"] == "BR1")
    assert lab["signal_id"] == signal_id("FIRST-CRE", "lab", "BRA", "BR1")


def test_a_phenotype_present_when_a_lab_joins_is_no_new_occurrence() -> None:
    """min_history_days (90): the lab's first CRE on its first day of reporting is not news for
    the lab, nor for Brazil (first data that day too); the region had 4 months of data."""
    rows = [("BRA", "BR1", "e0", "2024-09-01", "B_ESCHR_COLI", "MEM", "S"),
            ("PER", "PE1", "k9", "2025-01-10", "B_KLBSL_PNMN", "MEM", "R")]
    first = _by(evaluate_rules(_results(rows)), "FIRST-CRE")
    assert [(s["country"], s["lab_code"]) for s in first] == [(None, None)]


def test_pan_resistant_isolate() -> None:
    agents = ["MEM", "IPM", "CIP", "GEN", "AMK", "SXT", "COL", "TGC", "FEP", "CAZ"]
    rows = [("BRA", "SP1", "base", "2024-01-05", "B_ESCHR_COLI", "MEM", "S")]
    rows += [("BRA", "SP1", "p1", "2024-06-05", "B_ACNTB_BMNN", ab, "R") for ab in agents]
    rows += [("BRA", "SP1", "p2", "2024-06-06", "B_ACNTB_BMNN", ab, "R") for ab in agents[:-1]]
    rows += [("BRA", "SP1", "p2", "2024-06-06", "B_ACNTB_BMNN", "CAZ", "S")]
    pdr = _by(evaluate_rules(_results(rows)), "FIRST-PDR")
    assert {json.loads(s["evidence"])["isolates"][0]["isolate_id"] for s in pdr} == {"p1"}


def test_broken_rule_files_are_reported(tmp_path: Path) -> None:
    text = Path(load_rules.__code__.co_filename).with_name("data").joinpath("rules.yaml").read_text()
    data = yaml.safe_load(text)
    data["rules"][0]["phenotype"] = "NOPE"
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ReferenceDataError, match="undefined phenotype"):
        load_rules(path)
    data = yaml.safe_load(text)
    del data["rules"][1]["description"]["fr"]
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ReferenceDataError, match="description"):
        load_rules(path)
