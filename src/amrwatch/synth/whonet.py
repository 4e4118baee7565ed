"""WHONET exports of the synthetic labs (see shared/specs/whonet-export.md).

Takes a chunk's isolates and AST rows of one lab; gives the rows of that lab's export file: one
row per isolate, patient/specimen fields under field codes (`SPEC_DATE`) or field names
(`Specimen date`), one result column per drug × guideline × method × potency (`CIP_NM`,
`AMP_ND10`, `VAN_NE`), the lab's delimiter, date style and encoding.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from amrwatch.synth import events
from amrwatch.synth.geography import data_frame
from amrwatch.synth.phenotype import disk_table, panel_table
from amrwatch.synth.readings import FAMILIES, METHODS, Readings, tables

#: Field codes and, for the long-name dialect, their names (whonet-export.md §2).
FIELDS = {"COUNTRY_A": "Country", "LABORATORY": "Laboratory", "PATIENT_ID": "Identification number",
          "LAST_NAME": "Last name", "FIRST_NAME": "First name", "SEX": "Sex", "AGE": "Age",
          "DATE_ADMIS": "Date of admission", "SPEC_NUM": "Specimen number",
          "SPEC_DATE": "Specimen date", "SPEC_TYPE": "Specimen type", "WARD_TYPE": "WARD_TYPE",
          "ISOL_NUM": "Isolate number", "ORGANISM": "Organism", "ESBL": "ESBL",
          "CARBAPENEM": "Carbapenemase"}
LETTER = {"CLSI": "N", "EUCAST": "E"}
METHOD_LETTER = {"MIC": "M", "GRADIENT": "E", "DISK": "D"}


def test_code(ab: pd.Series, family: pd.Series, method: pd.Series, potency: pd.Series) -> pd.Series:
    """`CIP_NM`, `AMP_ND10`, `SXT_ND1.2`: drug, guideline letter, method letter, disk content."""
    content = potency.fillna("").str.slice(0, 3).str.rstrip(".")  # 1.25 µg → "1.2" as AMR writes
    return ab + "_" + family.map(LETTER) + method.map(METHOD_LETTER) + \
        np.where(method == "DISK", content, "")


@cache
def _code_table() -> np.ndarray:
    """(panel row, method, family) → WHONET test code, for every combination at once."""
    t = tables()
    panel, method, family = np.meshgrid(np.arange(len(t.panels)), np.arange(len(METHODS)),
                                        np.arange(len(FAMILIES)), indexing="ij")
    codes = test_code(pd.Series(t.panels.ab.to_numpy(object)[panel.ravel()]),
                      pd.Series(np.array(FAMILIES, dtype=object)[family.ravel()]),
                      pd.Series(np.array(METHODS, dtype=object)[method.ravel()]),
                      pd.Series(np.where(method.ravel() == 1,
                                         t.potency[panel.ravel(), family.ravel()], "")))
    return codes.to_numpy(object).reshape(panel.shape)


PADDED = np.array([str(z).zfill(2) for z in range(51)], dtype=object)


def ast_codes(ast: Readings) -> np.ndarray:
    return _code_table()[ast.panel, ast.method, ast.family]


def lab_columns(lab: pd.Series) -> list[str]:
    """Every result column the lab's export can hold over the whole period, in panel order."""
    families = {lab.guideline} | {d[k].split(" ")[0] for d in events.definitions()
                                  if d["kind"] == "artefact" and d["country"] == lab.country
                                  for k in ("before", "after")}
    return _columns(lab.method, tuple(sorted(families)))


@cache
def _columns(method: str, families: tuple[str, ...]) -> list[str]:
    panels = panel_table()
    disks = disk_table()
    columns: list[str] = []
    for family in families:
        if method == "mic":
            rows = panels[panels.mic_labs == "mic"][["ab"]].assign(method="MIC", potency="")
        else:
            grad = panels[panels.disk_labs == "gradient"][["ab"]].assign(method="GRADIENT",
                                                                          potency="")
            disk = panels[panels.disk_labs == "disk"][["organism", "ab"]].merge(
                disks[disks.family == family][["organism", "ab", "potency"]]).assign(method="DISK")
            rows = pd.concat([grad, disk[["ab", "method", "potency"]]])
        codes = test_code(rows.ab, pd.Series(family, index=rows.index), rows.method, rows.potency)
        columns += [c for c in dict.fromkeys(codes) if c not in columns]
    return columns


def _age(age: np.ndarray) -> np.ndarray:
    """WHONET ages: years, or months (`6m`) / weeks (`3w`) for infants (whonet-export.md §2)."""
    years = np.floor(age).astype(int).astype(str).astype(object)
    months = np.floor(age * 12).astype(int).astype(str).astype(object) + "m"
    weeks = np.maximum(np.floor(age * 52), 1).astype(int).astype(str).astype(object) + "w"
    return np.where(age >= 1, years, np.where(age * 12 >= 1, months, weeks))


def format_dates(dates: pd.Series, style: str) -> pd.Series:
    """`d/m/yyyy` (as in SampleInputFile.txt, without the time) or ISO `yyyy-mm-dd`; NaT → ""."""
    parsed = pd.to_datetime(dates)
    text = parsed.dt.strftime("%Y-%m-%d") if style == "iso" else \
        parsed.dt.day.astype("Int64").astype(str) + "/" + parsed.dt.month.astype("Int64").astype(str) \
        + "/" + parsed.dt.year.astype("Int64").astype(str)
    return text.where(parsed.notna(), "")


def export_rows(isolates: pd.DataFrame, ast: Readings, lab: pd.Series,
                columns: list[str]) -> dict[str, np.ndarray]:
    """The lab's export columns for a chunk (isolates restricted to this lab, texts prepared)."""
    style = lab.date_style
    n = len(isolates)
    frame = {
        "COUNTRY_A": isolates.country, "LABORATORY": isolates.lab_code,
        "PATIENT_ID": isolates.patient_id, "LAST_NAME": isolates.last_name,
        "FIRST_NAME": isolates.first_name, "SEX": isolates.sex_whonet,
        "AGE": isolates.age_whonet, "DATE_ADMIS": isolates[f"admission_{style}"],
        "SPEC_NUM": isolates.isolate_id, "SPEC_DATE": isolates[f"date_{style}"],
        "SPEC_TYPE": isolates.whonet_specimen, "WARD_TYPE": isolates.ward_type,
        "ISOL_NUM": np.full(n, "1", dtype=object), "ORGANISM": isolates.whonet_organism,
        "ESBL": np.where(isolates.esbl, "+", "-").astype(object),
        "CARBAPENEM": np.where(isolates.carbapenemase, "+", "-").astype(object),
    }
    frame = {k: np.asarray(v, dtype=object) for k, v in frame.items()}
    results = np.full((len(columns), n), "", dtype=object)
    position = pd.Series(np.arange(n), index=isolates.index)[ast.row].to_numpy()
    column = pd.Index(columns).get_indexer(ast_codes(ast))
    zone = PADDED[np.clip(ast.number, 0, 50).astype(int)]
    results[column, position] = np.where(ast.method == 1, zone, ast.value)
    return {**frame, **dict(zip(columns, results, strict=True))}


def prepare(isolates: pd.DataFrame) -> None:
    """Add the WHONET texts of a whole chunk at once (codes, ages, dates)."""
    organisms = data_frame("organisms.tsv").set_index("organism")
    specimens = data_frame("specimens.tsv").set_index("specimen")
    isolates["whonet_organism"] = isolates.organism.map(organisms.whonet_code)
    isolates["whonet_specimen"] = isolates.specimen.map(specimens.whonet_code)
    isolates["age_whonet"] = _age(isolates.age.to_numpy())
    isolates["sex_whonet"] = isolates.sex.str.lower()
    for style in ("iso", "dmy"):
        isolates[f"date_{style}"] = format_dates(isolates.specimen_date, style)
        isolates[f"admission_{style}"] = format_dates(isolates.admission_date, style)


def header(lab: pd.Series, columns: list[str]) -> list[str]:
    names = list(FIELDS) if lab.header == "codes" else list(FIELDS.values())
    return names + columns
