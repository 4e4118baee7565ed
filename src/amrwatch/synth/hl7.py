"""HL7 v2.5.1 ORU^R01 microbiology messages of the synthetic labs (shared/specs/fhir-hl7.md §2).

Takes a lab's isolates and AST rows of one chunk; gives the text of one message per isolate:
MSH, PID, PV1 (patient class, admission date), a culture ORC/OBR with the organism OBX and SPM,
and a susceptibility ORC/OBR linked to it by OBR-26/OBR-29 with one OBX per antimicrobial (SN for
MICs, NM for zones, OBX-8 interpretation, OBX-17 method). Segments end with CR; each message ends
with CR LF so a file of messages is also readable line by line.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from amrwatch.synth.messages import ast_columns, isolate_columns
from amrwatch.synth.readings import Readings


def _stamp(dates: pd.Series) -> pd.Series:
    return dates.str.replace("-", "", regex=False)


def _headers(isolates: pd.DataFrame, lab: pd.Series) -> pd.Series:
    c = isolate_columns(isolates).reset_index(drop=True)
    iso = isolates.reset_index(drop=True)
    code, when = lab.lab_code, _stamp(c.date)
    order = iso.isolate_id + "^" + code
    klass = np.where(iso.admission_date.notna(), "I", "O")
    ward = iso.ward_type.str.upper() + "^^^" + code
    culture = c.culture_code + "^" + c.culture_display + "^LN"
    return (
        "MSH|^~\\&|LIS|" + code + "|AMRWATCH|PAHO|" + when + "0800||ORU^R01^ORU_R01|" + code + "-"
        + iso.isolate_id + "|P|2.5.1\r"
        + "PID|1||" + iso.patient_id + "^^^" + code + "^MR||" + iso.last_name + "^"
        + iso.first_name + "|||" + iso.sex + "\r"
        + "PV1|1|" + klass + "|" + ward + "|" * 16 + "V" + iso.isolate_id + "|" * 25
        + _stamp(c.admission) + "\r"
        + "ORC|RE|" + order + "|" + order + "\r"
        + "OBR|1|" + order + "|" + order + "|" + culture + "|||" + when + "|" * 15 + when
        + "|||F\r"
        + "OBX|1|CWE|" + culture + "|1|" + c.organism_snomed + "^" + c.organism_name
        + "^SCT||||||F\r"
        + "SPM|1|" + order + "||" + c.specimen_snomed + "^" + c.specimen_display + "^SCT"
        + "|" * 13 + when + "\r"
        + "ORC|RE|" + order + "|" + iso.isolate_id + "-S^" + code + "\r"
        + "OBR|2|" + order + "|" + iso.isolate_id + "-S^" + code
        + "|29576-6^Bacterial susceptibility panel^LN|||" + when + "|" * 15 + when + "|||F|"
        + c.culture_code + "&" + c.culture_display + "&LN^1^" + c.organism_name + "|||"
        + iso.isolate_id + "&" + code + "^" + iso.isolate_id + "&" + code + "\r"
    )


def _results(ast: Readings, sequence: np.ndarray) -> pd.Series:
    c = ast_columns(ast).reset_index(drop=True)
    mic = ast.method != 1
    kind = np.where(mic, "SN", "NM")
    value = np.where(mic, c.comparator + "^" + c.number, c.number)
    return ("OBX|" + pd.Series(sequence).astype(str) + "|" + kind + "|" + c.loinc + "^"
            + c.drug_name + " [Susceptibility]^LN|1|" + value + "|" + c.unit + "^^UCUM||"
            + c.sir + "|||F||||||" + c.method_text + "\r")


def messages(isolates: pd.DataFrame, ast: Readings, lab: pd.Series) -> str:
    """All messages of the lab's isolates in this chunk, in isolate order."""
    rows = np.arange(len(isolates))
    position = pd.Series(rows, index=isolates.index)[ast.row].to_numpy()
    first = np.searchsorted(position, position, side="left")  # AST rows are sorted by isolate
    sequence = np.arange(len(position)) - first + 1
    heads = _headers(isolates, lab).to_numpy(object)
    results = _results(ast, sequence).to_numpy(object)
    ends = np.full(len(rows), "\n", dtype=object)
    keys = np.concatenate([rows * 3, position * 3 + 1, rows * 3 + 2])
    parts = np.concatenate([heads, results, ends])[np.argsort(keys, kind="stable")]
    return "".join(parts)
