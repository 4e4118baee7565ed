"""FHIR R4 collection Bundles of the synthetic labs (shared/specs/fhir-hl7.md §1).

Takes a lab's isolates and AST rows of one chunk; gives one Bundle (JSON text) with, per
isolate, Patient, Encounter, Specimen, DiagnosticReport, the organism Observation and one
Observation per antimicrobial (general LOINC code, valueQuantity with comparator, interpretation,
`derivedFrom` the organism Observation). Resources are assembled with vectorised string
operations; every id is derived from the lab, chunk and row so that the bytes are reproducible.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from amrwatch.synth.messages import ast_columns, isolate_columns
from amrwatch.synth.readings import Readings

INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"


def _uuid(prefix: str, numbers: np.ndarray) -> pd.Series:
    """`urn:uuid:` ids, unique per lab × chunk × resource kind × row."""
    return "urn:uuid:" + prefix + "-8000-" + pd.Series(numbers).astype(str).str.zfill(12)


def _q(text: pd.Series) -> pd.Series:
    """JSON string literals (escapes quotes, accents stay UTF-8)."""
    return text.map(lambda s: json.dumps(s, ensure_ascii=False))


def _isolate_entries(isolates: pd.DataFrame, ids: dict[str, pd.Series]) -> pd.Series:
    c = isolate_columns(isolates).reset_index(drop=True)
    iso = isolates.reset_index(drop=True)
    gender = iso.sex.map({"F": "female", "M": "male"}).fillna("unknown")
    klass = np.where(iso.admission_date.notna(), "IMP", "AMB")
    start = c.admission.where(c.admission != "", c.date)
    patient = ('{"fullUrl":"' + ids["patient"] + '","resource":{"resourceType":"Patient",'
               '"identifier":[{"system":"urn:lab:' + iso.lab_code + ':patient","value":"'
               + iso.patient_id + '"}],"name":[{"family":' + _q(iso.last_name) + ',"given":['
               + _q(iso.first_name) + ']}],"gender":"' + gender + '"}}')
    encounter = ('{"fullUrl":"' + ids["encounter"] + '","resource":{"resourceType":"Encounter",'
                 '"status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/'
                 'v3-ActCode","code":"' + klass + '"},"subject":{"reference":"' + ids["patient"]
                 + '"},"period":{"start":"' + start + '"}}}')
    specimen = ('{"fullUrl":"' + ids["specimen"] + '","resource":{"resourceType":"Specimen",'
                '"accessionIdentifier":{"value":"' + iso.isolate_id + '"},"type":{"coding":[{'
                '"system":"http://snomed.info/sct","code":"' + c.specimen_snomed + '","display":"'
                + c.specimen_display + '"}]},"subject":{"reference":"' + ids["patient"]
                + '"},"collection":{"collectedDateTime":"' + c.date + '"}}}')
    report = ('{"fullUrl":"' + ids["report"] + '","resource":{"resourceType":"DiagnosticReport",'
              '"status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/'
              'CodeSystem/v2-0074","code":"MB"}]}],"code":{"coding":[{"system":"http://loinc.org",'
              '"code":"' + c.culture_code + '"}]},"subject":{"reference":"' + ids["patient"]
              + '"},"encounter":{"reference":"' + ids["encounter"] + '"},"effectiveDateTime":"'
              + c.date + '","specimen":[{"reference":"' + ids["specimen"] + '"}],"result":[{'
              '"reference":"' + ids["organism"] + '"}]}}')
    organism = ('{"fullUrl":"' + ids["organism"] + '","resource":{"resourceType":"Observation",'
                '"status":"final","code":{"coding":[{"system":"http://loinc.org","code":"'
                + c.culture_code + '","display":"' + c.culture_display + '"}]},"subject":{'
                '"reference":"' + ids["patient"] + '"},"effectiveDateTime":"' + c.date
                + '","valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"'
                + c.organism_snomed + '","display":' + _q(c.organism_name) + '}]},"specimen":{'
                '"reference":"' + ids["specimen"] + '"}}}')
    return patient + ",\n" + encounter + ",\n" + specimen + ",\n" + report + ",\n" + organism


def _ast_entries(ast: Readings, position: np.ndarray, ids: dict[str, pd.Series],
                 prefix: str) -> pd.Series:
    c = ast_columns(ast).reset_index(drop=True)
    own = _uuid(prefix + "-4006", np.arange(len(ast)))
    patient, organism = ids["patient"][position].to_numpy(), ids["organism"][position].to_numpy()
    specimen = ids["specimen"][position].to_numpy()
    comparator = c.comparator.where(c.comparator == "", '"comparator":"' + c.comparator + '",')
    interpretation = c.sir.where(c.sir == "", ',"interpretation":[{"coding":[{"system":"'
                                 + INTERPRETATION + '","code":"' + c.sir + '"}]}]')
    return ('{"fullUrl":"' + own + '","resource":{"resourceType":"Observation","status":"final",'
            '"code":{"coding":[{"system":"http://loinc.org","code":"' + c.loinc + '","display":"'
            + c.drug_name + ' [Susceptibility]"}]},"method":{"text":"' + c.method_text
            + '"},"subject":{"reference":"' + patient + '"},"valueQuantity":{' + comparator
            + '"value":' + c.number + ',"unit":"' + c.unit + '","system":"http://unitsofmeasure.org",'
            '"code":"' + c.unit + '"}' + interpretation + ',"specimen":{"reference":"' + specimen
            + '"},"derivedFrom":[{"reference":"' + organism + '"}]}}')


def bundle(isolates: pd.DataFrame, ast: Readings, lab: pd.Series, number: int) -> str:
    """One collection Bundle holding the lab's isolates of chunk `number`."""
    lab_number = str(abs(hash_code(lab.lab_code))).zfill(8)[:8]
    prefix = lab_number + "-" + str(number).zfill(4)
    rows = np.arange(len(isolates))
    ids = {kind: _uuid(f"{prefix}-4{i:03d}", rows) for i, kind in enumerate(
        ("patient", "encounter", "specimen", "report", "organism"))}
    head = _isolate_entries(isolates, ids)
    position = pd.Series(rows, index=isolates.index)[ast.row].to_numpy()
    drugs = _ast_entries(ast, position, ids, prefix)
    order = np.argsort(np.concatenate([rows * 2, position * 2 + 1]), kind="stable")
    entries = np.concatenate([head.to_numpy(object), drugs.to_numpy(object)])[order]
    return ('{"resourceType":"Bundle","type":"collection","entry":[\n'
            + ",\n".join(entries) + "\n]}\n")


def hash_code(text: str) -> int:
    """A stable small number for a lab code (Python's hash() is salted per process)."""
    return int.from_bytes(text.encode("utf-8"), "big") % 99_999_989
