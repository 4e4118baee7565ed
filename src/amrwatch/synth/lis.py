"""LIS CSV exports (one row per test, column names in the lab's language) and their mapping YAML.

Takes a chunk's isolates and AST rows of one lab; gives the long-layout rows a laboratory
information system would export (organism and antimicrobial as names, local words for sex,
specimen and method, the lab's own S/I/R and standard) and the mapping file that tells amrwatch
which column is which and how to read the values.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from amrwatch.refdata import table
from amrwatch.synth.geography import data_frame
from amrwatch.synth.readings import METHODS, Readings, tables

COLUMNS = ["laboratory", "isolate_id", "patient_id", "last_name", "sex", "age", "specimen_date",
           "admission_date", "specimen_type", "ward_type", "organism", "antimicrobial", "method",
           "potency", "value", "lab_sir", "guideline"]


def language(lab: pd.Series) -> str:
    return lab.language if lab.language in ("es", "pt") else "en"


@cache
def _words(field: str, lang: str) -> dict[str, str]:
    vocabulary = data_frame("vocabulary.tsv")
    rows = vocabulary[vocabulary.field == field]
    return dict(zip(rows.key, rows[lang], strict=True))


def delimiter(lab: pd.Series) -> str:
    """Spanish/Portuguese spreadsheet locales separate with ';' (decimal comma), others ','."""
    return ";" if language(lab) in ("es", "pt") else ","


def export_rows(isolates: pd.DataFrame, ast: Readings, lab: pd.Series) -> dict[str, np.ndarray]:
    """One row per AST result of the lab's isolates, under the lab's own column names."""
    lang = language(lab)
    at = pd.Series(np.arange(len(isolates)), index=isolates.index)[ast.row].to_numpy()

    def iso(column: str) -> np.ndarray:
        return isolates[column].to_numpy(object)[at]

    frame = {
        "laboratory": iso("lab_code"), "isolate_id": iso("isolate_id"),
        "patient_id": iso("patient_id"), "last_name": iso("last_name"),
        "sex": iso(f"sex_{lang}"), "age": iso("age_years"),
        "specimen_date": iso(f"date_{lab.date_style}"),
        "admission_date": iso(f"admission_{lab.date_style}"),
        "specimen_type": iso(f"specimen_{lang}"), "ward_type": iso(f"ward_{lang}"),
        "organism": iso("organism_name"), "antimicrobial": drug_names_by_panel()[ast.panel],
        "method": method_words(lang)[ast.method], "potency": ast.text("potency"),
        "value": ast.value, "lab_sir": ast.text("lab_sir"), "guideline": ast.text("guideline"),
    }
    words = _words("column", lang)
    return {words[name]: np.asarray(values, dtype=object) for name, values in frame.items()}


def prepare(isolates: pd.DataFrame) -> None:
    """Add the LIS texts of a whole chunk at once, in each LIS language."""
    isolates["organism_name"] = isolates.organism.map(
        data_frame("organisms.tsv").set_index("organism").name)
    isolates["age_years"] = np.floor(isolates.age.to_numpy()).astype(int).astype(str)
    for lang in ("es", "pt", "en"):
        isolates[f"sex_{lang}"] = isolates.sex.map(_words("sex", lang))
        isolates[f"specimen_{lang}"] = isolates.specimen.map(_words("specimen", lang))
        isolates[f"ward_{lang}"] = isolates.ward_type.map(_words("ward", lang))


@cache
def method_words(lang: str) -> np.ndarray:
    return np.array([_words("method", lang)[m] for m in METHODS], dtype=object)


@cache
def drug_names_by_panel() -> np.ndarray:
    return tables().panels.ab.map(drug_names()).to_numpy(object)


@cache
def drug_names() -> pd.Series:
    """Antimicrobial names by AMR code, as an LIS prints them (AMR `antimicrobials.name`)."""
    return table("antimicrobials").to_pandas().set_index("ab").name


def mapping(lab: pd.Series, file_name: str) -> dict[str, Any]:
    """The mapping YAML shipped with the file, in amrwatch.ingest.mapping's format (long layout)."""
    lang = language(lab)
    columns = _words("column", lang)
    specimens = data_frame("specimens.tsv").set_index("specimen").glass_specimen
    results = {"antimicrobial": columns["antimicrobial"], "value": columns["value"],
               "interpretation": columns["lab_sir"], "method": columns["method"],
               "potency": columns["potency"], "guideline": columns["guideline"],
               "methods": {word: key for key, word in _words("method", lang).items()}}
    fields = ("isolate_id", "patient_id", "last_name", "sex", "age", "specimen_date",
              "admission_date", "specimen_type", "ward_type", "organism")
    return {
        "name": f"{lab.lab_code} LIS export ({file_name})",
        "description": f"Synthetic {lab['name']} export: one row per test, {lab.encoding}.",
        "layout": "long", "delimiter": delimiter(lab),
        "date_order": "ymd" if lab.date_style == "iso" else "dmy",
        "columns": {columns[field]: field for field in fields},
        "ignore": [columns["laboratory"]],
        "values": {"sex": {word: key for key, word in _words("sex", lang).items()},
                   "specimen_type": {word: specimens[key]
                                     for key, word in _words("specimen", lang).items()}},
        "results": results,
    }
