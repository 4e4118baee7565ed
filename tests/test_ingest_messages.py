"""FHIR R4 and HL7 v2.5.1 readers on the spec's examples (shared/specs/fhir-hl7.md §1.4, §2.2),
LIS long layout and Excel, and the lab-category check against the interpretation engine.

Expected values are those written in the examples: one E. coli blood isolate, ampicillin MIC >16
R, ciprofloxacin MIC <=0.25 S, ceftriaxone zone 27 mm S.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.compute as pc
import pytest

from amrwatch.ingest import read_upload
from amrwatch.ingest.mapping import shipped_mapping

MESSAGES = Path(__file__).parent / "fixtures" / "messages"
KEY = b"0123456789abcdef0123456789abcdef"
EXPECTED = {("AMP", "MIC", ">16", "R"), ("CIP", "MIC", "<=0.25", "S"), ("CRO", "DISK", "27", "S")}


def results(result):
    return {(r["ab"], r["method"], r["value_raw"], r["lab_sir"])
            for r in result.ast_results.to_pylist()}


@pytest.mark.parametrize("name", ["micro_bundle.json", "oru_r01.hl7"])
def test_spec_examples(name):
    result = read_upload(MESSAGES / name, lab="AR-001", country="ARG", key=KEY)
    assert result.reader == {"json": "fhir", "hl7": "hl7"}[name.split(".")[1]]
    (isolate,) = result.isolates.to_pylist()
    assert isolate["mo"] == "B_ESCHR_COLI" and isolate["specimen_type"] == "BLOOD"
    assert str(isolate["specimen_date"]) == "2025-01-12" and isolate["sex"] == "F"
    assert isolate["age_years"] == 65.0  # born 1960-01-01, sampled 2025-01-12
    assert results(result) == EXPECTED
    assert result.errors == 0


def test_hl7_origin_from_admission():
    """PV1-44 admission 2025-01-10, specimen 2025-01-12: day 3 -> hospital (glass.md §3)."""
    result = read_upload(MESSAGES / "oru_r01.hl7", lab="AR-001", country="ARG", key=KEY)
    assert result.isolates["origin"].to_pylist() == ["hospital"]


def test_fhir_results_linked_by_has_member_or_specimen(tmp_path):
    """Without derivedFrom, results tie to the organism via hasMember; a result that has no
    link at all is rejected with unlinked_result."""
    bundle = json.loads((MESSAGES / "micro_bundle.json").read_text())
    for entry in bundle["entry"]:
        entry["resource"].pop("derivedFrom", None)
    last = bundle["entry"][-1]["resource"]
    last.pop("specimen")
    organism = bundle["entry"][4]["resource"]
    organism["hasMember"] = organism["hasMember"][:2]
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle))
    result = read_upload(path, lab="AR-001", country="ARG", key=KEY)
    assert results(result) == EXPECTED - {("CRO", "DISK", "27", "S")}
    unlinked = result.issues.filter(pc.equal(result.issues["reason"], "unlinked_result"))
    assert unlinked["row"].to_pylist() == [8]


def test_fhir_outpatient_encounter_means_community_origin(tmp_path):
    """Encounter.class AMB (ambulatory, HL7 v3 ActCode) and no admission date: community."""
    bundle = json.loads((MESSAGES / "micro_bundle.json").read_text())
    bundle["entry"].append({"fullUrl": "urn:uuid:11111111-0000-4000-8000-000000000099",
                            "resource": {"resourceType": "Encounter", "status": "finished",
                                         "class": {"code": "AMB"}}})
    bundle["entry"][4]["resource"]["encounter"] = {
        "reference": "urn:uuid:11111111-0000-4000-8000-000000000099"}
    path = tmp_path / "amb.json"
    path.write_text(json.dumps(bundle))
    result = read_upload(path, lab="AR-001", country="ARG", key=KEY)
    assert result.isolates["origin"].to_pylist() == ["community"]


def test_fhir_preliminary_result_is_not_stored(tmp_path):
    bundle = json.loads((MESSAGES / "micro_bundle.json").read_text())
    bundle["entry"][5]["resource"]["status"] = "preliminary"
    path = tmp_path / "prelim.json"
    path.write_text(json.dumps(bundle))
    result = read_upload(path, lab="AR-001", country="ARG", key=KEY)
    assert results(result) == EXPECTED - {("AMP", "MIC", ">16", "R")}
    assert ("not_final", 6) in {(r["reason"], r["row"]) for r in result.issues.to_pylist()}


def test_hl7_two_organisms_two_isolates():
    text = (MESSAGES / "oru_r01.hl7").read_bytes().decode()
    segments = text.split("\r")
    second = [s.replace("112283007^Escherichia coli", "56415008^Klebsiella pneumoniae")
              .replace("|1|112283007", "|2|112283007") for s in segments]
    organism2 = "OBX|2|CWE|600-7^Bacteria identified in Blood by Culture^LN|2|" \
                "56415008^Klebsiella pneumoniae^SCT||||||F"
    child2 = ("OBR|3|ORD1^HOSP_A|LAB1-S2^HOSP_A|29576-6^Bacterial susceptibility panel^LN|||"
              "20250112083000|||||||||||||||20250115100000|||F|600-7&Bacteria identified in "
              "Blood by Culture&LN^2^Klebsiella pneumoniae|||ORD1&HOSP_A^LAB1&HOSP_A")
    obx = "OBX|1|NM|142-0^Ceftriaxone [Susceptibility] by Disk diffusion^LN|1|12|mm||R|||F"
    message = segments[:6] + [organism2] + segments[6:] + [child2, obx]
    del second
    result = read_upload("two.hl7", content="\r".join(s for s in message if s).encode(),
                         lab="AR-001", country="ARG", key=KEY)
    by_isolate = {r["isolate_id"]: r["mo"] for r in result.isolates.to_pylist()}
    assert by_isolate == {"SPEC1/1": "B_ESCHR_COLI", "SPEC1/2": "B_KLBSL_PNMN"}
    kleb = result.ast_results.filter(pc.equal(result.ast_results["isolate_id"], "SPEC1/2"))
    assert kleb.to_pylist()[0]["value_raw"] == "12" and kleb.num_rows == 1


def test_lab_category_contradicting_its_guideline_is_flagged():
    """Ceftriaxone zone 10 mm reported S: CLSI M100 (2024) Enterobacterales disk R <= 19 mm."""
    text = (MESSAGES / "oru_r01.hl7").read_bytes()
    changed = text.replace(b"|27|mm^millimeter^UCUM||S|", b"|10|mm^millimeter^UCUM||S|")
    result = read_upload("cro.hl7", content=changed, lab="AR-001", country="ARG", key=KEY,
                         lab_guideline="CLSI 2024")
    flagged = result.issues.filter(pc.equal(result.issues["reason"], "sir_contradicts_value"))
    assert flagged["value"].to_pylist() == ["10 S"]
    assert result.quality["lab_categories_checked"] is True
    assert result.quality["components"]["plausibility"] == pytest.approx(2 / 3)


def test_lis_long_layout_with_value_maps(tmp_path):
    path = tmp_path / "lis.csv"
    path.write_text(
        "nro_muestra;historia_clinica;sexo;edad;fecha_toma;fecha_ingreso;tipo_muestra;servicio;"
        "microorganismo;antibiotico;resultado;interpretacion;metodo\n"
        "M1;HC1;H;45;14/03/2024;10/03/2024;HEMO;UCI;Escherichia coli;Ampicilina;>=32;R;CIM\n"
        "M1;HC1;H;45;14/03/2024;10/03/2024;HEMO;UCI;Escherichia coli;Ciprofloxacino;25;S;DISCO\n"
        "M2;HC2;M;3 meses;2/04/2024;;URO;AMB;Klebsiella pneumoniae;Ceftriaxona;;S;\n"
        # the same isolate, its sex left blank on this test row: still one isolate
        "M2;HC2;;3 meses;2/04/2024;;URO;AMB;Klebsiella pneumoniae;Gentamicina;1;S;CIM\n",
        encoding="utf-8")
    result = read_upload(path, mapping=shipped_mapping("whonet_style_lis"), lab="AR-001",
                         country="ARG", key=KEY)
    isolates = {r["isolate_id"]: r for r in result.isolates.to_pylist()}
    assert set(isolates) == {"M1/Escherichia coli", "M2/Klebsiella pneumoniae"}
    m1, m2 = isolates["M1/Escherichia coli"], isolates["M2/Klebsiella pneumoniae"]
    assert (m1["sex"], m1["specimen_type"], m1["origin"], m1["age_years"]) == \
        ("M", "BLOOD", "hospital", 45.0)
    assert (m2["sex"], m2["specimen_type"], m2["age_years"]) == ("F", "URINE", 0.25)
    assert {(r["isolate_id"], r["ab"], r["method"], r["value_raw"], r["lab_sir"])
            for r in result.ast_results.to_pylist()} == {
        ("M1/Escherichia coli", "AMP", "MIC", ">=32", "R"),
        ("M1/Escherichia coli", "CIP", "DISK", "25", "S"),
        ("M2/Klebsiella pneumoniae", "CRO", None, "S", "S"),
        ("M2/Klebsiella pneumoniae", "GEN", "MIC", "1", "S")}
    assert set(result.ast_results["source_row"].to_pylist()) == {1, 2, 3, 4}
    counts = result.counts
    assert (counts["rows_read"], counts["rows_rejected"], counts["isolates_read"]) == (4, 0, 2)


@pytest.mark.shared
def test_excel_export_reads_like_its_csv(tmp_path, amr_r_dir):
    import csv

    import openpyxl

    with open(amr_r_dir / "example_isolates_unclean.tsv", encoding="utf-8") as handle:
        rows = list(csv.reader(handle, delimiter="\t"))[:201]
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    path = tmp_path / "lis.xlsx"
    book.save(path)
    result = read_upload(path, mapping=shipped_mapping("amr_example_isolates_unclean"),
                         lab="AR-001", country="ARG", key=KEY)
    assert result.reader == "excel"
    assert result.isolates.num_rows == 200
    assert result.ast_results.num_rows == sum(1 for r in rows[1:] for v in r[4:] if v.strip())


def test_hl7_preliminary_results_and_non_organism_observations_are_reported():
    text = (MESSAGES / "oru_r01.hl7").read_bytes().decode()
    text = text.replace("|1|>^16|ug/mL^microgram per milliliter^UCUM||R|||F",
                        "|1|>^16|ug/mL^microgram per milliliter^UCUM||R|||P")
    text = text.replace("\rSPM|", "\rOBX|2|NM|564-5^Colony count^LN|1|100000|{CFU}/mL||||||F\rSPM|")
    result = read_upload("p.hl7", content=text.encode(), lab="AR-001", country="ARG", key=KEY)
    assert results(result) == EXPECTED - {("AMP", "MIC", ">16", "R")}
    found = {(r["reason"], r["column"], r["value"]) for r in result.issues.to_pylist()}
    assert ("not_final", "OBX-11", "P") in found
    assert ("column_not_stored", "OBX-5", "564-5") in found


def test_pair_the_guideline_does_not_test_is_flagged():
    """CLSI M100 (2024) has no mupirocin breakpoint for Enterobacterales (mupirocin appears only
    as a S. aureus screen); ciprofloxacin MIC 1 for E. coli is R there (R >= 1), as reported."""
    text = ("SPEC_NUM|SPEC_DATE|ORGANISM|CIP_NM|MUP_NM\n"
            "S1|2024-03-14|eco|1 R|4\n")
    result = read_upload("mup.txt", content=text.encode(), lab="AR-001", country="ARG",
                         key=KEY, lab_guideline="CLSI 2024")
    found = {(r["reason"], r["column"]) for r in result.issues.to_pylist()}
    assert ("not_in_guideline", "MUP_NM") in found
    assert ("not_in_guideline", "CIP_NM") not in found
    assert ("sir_contradicts_value", "CIP_NM") not in found
