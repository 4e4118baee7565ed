"""Columns shared by the FHIR and HL7 v2 writers: values split into comparator and number, codes.

Takes a lab's isolates and AST rows; gives per-row text columns (organism SNOMED code and name,
specimen SNOMED code, drug LOINC and name, comparator, number, unit, method text) built with
vectorised string operations, as shared/specs/fhir-hl7.md describes them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from amrwatch.synth.geography import data_frame
from amrwatch.synth.lis import drug_names_by_panel
from amrwatch.synth.readings import METHODS, PREFIXES, Readings, tables

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


def ast_columns(ast: Readings) -> pd.DataFrame:
    """Per AST row: LOINC, drug name, comparator, number, unit, method text and S/I/R."""
    panels = tables().panels
    loinc = panels.ab.map(data_frame("panels.tsv").drop_duplicates("ab").set_index("ab").loinc)
    methods = np.array(METHODS, dtype=object)[ast.method]
    potency = ast.text("potency")
    frame = pd.DataFrame({
        "loinc": loinc.to_numpy(object)[ast.panel],
        "drug_name": drug_names_by_panel()[ast.panel],
        "comparator": np.array(PREFIXES, dtype=object)[ast.prefix], "number": ast.bare,
        "unit": pd.Series(methods).map(UNITS).to_numpy(object),
        "method_text": pd.Series(methods).map(METHOD_TEXT).to_numpy(object)
        + np.where(potency == "", "", " " + potency + " ug"),
        "sir": ast.text("lab_sir"),
    })
    return frame
