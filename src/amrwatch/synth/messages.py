"""Columns shared by the FHIR and HL7 v2 writers: values split into comparator and number, codes.

Takes a lab's isolates and AST rows; gives per-row text columns (organism SNOMED code and name,
specimen SNOMED code, drug LOINC and name, comparator, number, unit, method text) built with
vectorised string operations, as shared/specs/fhir-hl7.md describes them.
"""

from __future__ import annotations

import pandas as pd

from amrwatch.synth.geography import data_frame

UNITS = {"MIC": "ug/mL", "GRADIENT": "ug/mL", "DISK": "mm"}
METHOD_TEXT = {"MIC": "MIC", "GRADIENT": "Gradient strip", "DISK": "Disk diffusion"}
#: Culture LOINC per specimen (fhir-hl7.md §1.1: 600-7 blood culture; 634-6 any specimen).
CULTURE = {"blood": ("600-7", "Bacteria identified in Blood by Culture")}
ANY_CULTURE = ("634-6", "Bacteria identified in Specimen by Aerobe culture")


def isolate_columns(isolates: pd.DataFrame) -> pd.DataFrame:
    organisms = data_frame("organisms.tsv").set_index("organism")
    specimens = data_frame("specimens.tsv").set_index("specimen")
    frame = pd.DataFrame(index=isolates.index)
    frame["organism_snomed"] = isolates.organism.map(organisms.snomed)
    frame["organism_name"] = isolates.organism.map(organisms.name)
    frame["specimen_snomed"] = isolates.specimen.map(specimens.snomed)
    frame["specimen_display"] = isolates.specimen.map(specimens.display)
    frame["culture_code"] = isolates.specimen.map(lambda s: CULTURE.get(s, ANY_CULTURE)[0])
    frame["culture_display"] = isolates.specimen.map(lambda s: CULTURE.get(s, ANY_CULTURE)[1])
    frame["date"] = isolates.date_iso  # prepared once per chunk (whonet.prepare)
    frame["admission"] = isolates.admission_iso
    return frame


def ast_columns(ast: pd.DataFrame) -> pd.DataFrame:
    panels = data_frame("panels.tsv").drop_duplicates("ab").set_index("ab").loinc
    parts = ast.value.str.extract(r"^(<=|>=|<|>)?(.*)$")
    frame = pd.DataFrame(index=ast.index)
    frame["loinc"] = ast.ab.map(panels)
    frame["drug_name"] = ast.drug_name  # prepared once per chunk (lis.prepare)
    frame["comparator"] = parts[0].fillna("")
    frame["number"] = parts[1]
    frame["unit"] = ast.method.map(UNITS)
    potency = ast.potency.fillna("")
    frame["method_text"] = ast.method.map(METHOD_TEXT) + \
        potency.where(potency == "", " " + potency + " ug")
    frame["sir"] = ast.lab_sir.fillna("")
    return frame
