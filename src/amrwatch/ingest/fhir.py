"""FHIR R4 Bundles of microbiology reports -> isolates and AST results.

Takes a JSON Bundle (DiagnosticReport, Observation, Specimen, Patient, optional Encounter) as in
shared/specs/fhir-hl7.md §1, validated with the `fhir.resources` R4B models (8.x ships no plain
R4 package; R4B has the same elements for these resources). One isolate per organism
Observation (a `valueCodeableConcept`); an AST result is any Observation with a `valueQuantity`
or an `interpretation`, tied to its organism by, in this order: `derivedFrom`, the organism's
`hasMember` (directly or through a susceptibility panel), or a shared isolate `Specimen` (§1.1).
Rows are numbered by bundle entry (entry 1 = row 1).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa

from amrwatch.errors import InputError
from amrwatch.ingest.registry import TESTS, RawUpload, ReadOptions, register
from amrwatch.ingest.report import Issues

_SNOMED = "http://snomed.info/sct"
#: UCUM units of a zone diameter vs an MIC (fhir-hl7.md §1.3); unit "1" only for MIC codes.
_DISK_UNITS = {"mm"}
_MIC_UNITS = {"ug/mL", "mg/L", "ug/ml", "mg/l", "µg/mL"}
_SDD = {"S-DD": "SDD"}
#: Observation.status values of a result that may be stored (cf. HL7 v2 OBX-11 F/C).
_FINAL = {"final", "amended", "corrected"}


class FhirReader:
    name = "fhir"

    def sniff(self, head: bytes, path: Path) -> bool:
        text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
        return text.startswith(b"{") and b'"resourceType"' in head

    def read(self, raw: bytes, options: ReadOptions, issues: Issues) -> RawUpload:
        bundle = _bundle(raw, options.file)
        entries = [(i + 1, e.fullUrl, e.resource) for i, e in enumerate(bundle.entry or [])
                   if e.resource is not None]
        index = _index(entries)
        organisms = [(row, r) for row, _, r in entries if _is_organism(r)]
        organism_rows = {id(r): row for row, r in organisms}
        isolates = [_isolate_fields(row, obs, index) for row, obs in organisms]
        tests = []
        for row, _, resource in entries:
            if resource.__resource_type__ != "Observation" or not _is_result(resource):
                continue
            if resource.status not in _FINAL:
                issues.add("not_final", row=row, column="Observation.status",
                           value=resource.status)
                continue
            parent = _organism_of(resource, index, organisms)
            if parent is None:
                issues.add("unlinked_result", row=row, column="Observation",
                           value=_code(resource.code), message="result not tied to an organism")
                continue
            tests.append(_test(row, organism_rows[id(parent)], resource))
        fields = pa.Table.from_pylist(isolates) if isolates else pa.table(
            {"source_row": pa.array([], pa.int64()), "organism": pa.array([], pa.string())})
        return RawUpload(reader=self.name, fields=fields.cast(_schema(fields)),
                         tests=pa.Table.from_pylist(tests, schema=TESTS),
                         rows_read=len(organisms), encoding="utf-8", date_order="ymd",
                         columns={"organism": "Observation.valueCodeableConcept",
                                  "specimen_date": "Specimen.collection"})


def _bundle(raw: bytes, file: str) -> Any:
    from fhir.resources.R4B.bundle import Bundle
    from pydantic import ValidationError

    try:
        return Bundle.model_validate_json(raw)
    except ValidationError as error:
        first = error.errors()[0]
        raise InputError(
            f"The FHIR Bundle is not valid R4: {first['msg']}",
            {"file": file, "reason": "unparseable_file",
             "element": ".".join(str(p) for p in first["loc"])},
            hint="send a FHIR R4 Bundle of DiagnosticReport, Observation, Specimen and Patient",
        ) from error


def _schema(fields: pa.Table) -> pa.Schema:
    return pa.schema([(n, pa.int64() if n == "source_row" else pa.string())
                      for n in fields.column_names])


def _index(entries: list[tuple[int, str | None, Any]]) -> dict[str, Any]:
    index = {}
    for _, full_url, resource in entries:
        if full_url:
            index[full_url] = resource
        if resource.id:
            index[f"{resource.__resource_type__}/{resource.id}"] = resource
    return index


def _ref(reference: Any, index: dict[str, Any]) -> Any:
    return index.get(reference.reference) if reference is not None and reference.reference else None


def _is_organism(resource: Any) -> bool:
    return resource.__resource_type__ == "Observation" and \
        resource.valueCodeableConcept is not None


def _is_result(resource: Any) -> bool:
    return resource.valueQuantity is not None or (
        bool(resource.interpretation) and resource.valueCodeableConcept is None)


def _code(concept: Any, system: str | None = None) -> str | None:
    if concept is None:
        return None
    for coding in concept.coding or []:
        if system is None or coding.system == system:
            return coding.code or coding.display
    return concept.text


def _organism_of(result: Any, index: dict[str, Any], organisms: list[tuple[int, Any]]) -> Any:
    for reference in result.derivedFrom or []:
        target = _ref(reference, index)
        if target is not None and _is_organism(target):
            return target
    for _, organism in organisms:
        if _has_member(organism, result, index, depth=2):
            return organism
    specimen = _ref(result.specimen, index)
    same = [o for _, o in organisms if specimen is not None and _ref(o.specimen, index) is specimen]
    return same[0] if len(same) == 1 else None


def _has_member(parent: Any, child: Any, index: dict[str, Any], depth: int) -> bool:
    for reference in parent.hasMember or []:
        member = _ref(reference, index)
        if member is child or (depth > 1 and member is not None and
                               _has_member(member, child, index, depth - 1)):
            return True
    return False


def _isolate_fields(row: int, obs: Any, index: dict[str, Any]) -> dict[str, Any]:
    isolate = _ref(obs.specimen, index)
    primary = _primary_specimen(isolate, index)
    patient = _ref(obs.subject, index)
    encounter = _ref(obs.encounter, index)
    collected = primary.collection.collectedDateTime if primary and primary.collection else None
    return {
        "source_row": row,
        "isolate_id": _identifier(isolate) or obs.id,
        "specimen_number": primary.accessionIdentifier.value if primary and
        primary.accessionIdentifier else None,
        "patient_id": _identifier(patient),
        **_name(patient),
        "birth_date": str(patient.birthDate) if patient and patient.birthDate else None,
        "sex": patient.gender if patient else None,
        "specimen_date": str(collected or obs.effectiveDateTime or "") or None,
        "specimen_type": _code(primary.type, _SNOMED) or _code(primary.type) if primary else None,
        "admission_date": str(encounter.period.start) if encounter and encounter.period and
        encounter.period.start else None,
        "patient_type": encounter.class_fhir.code if encounter and encounter.class_fhir else None,
        "organism": _code(obs.valueCodeableConcept, _SNOMED) or _code(obs.valueCodeableConcept),
    }


def _name(patient: Any) -> dict[str, str | None]:
    """The patient's name, read only so that it is reported as dropped (and refused in strict
    mode); the normaliser never lets it out."""
    names = (patient.name or []) if patient is not None else []
    if not names:
        return {"first_name": None, "last_name": None}
    return {"first_name": " ".join(names[0].given or []) or None,
            "last_name": names[0].family or names[0].text}


def _primary_specimen(isolate: Any, index: dict[str, Any]) -> Any:
    if isolate is None:
        return None
    for reference in isolate.parent or []:
        parent = _ref(reference, index)
        if parent is not None:
            return parent
    return isolate


def _identifier(resource: Any) -> str | None:
    if resource is None:
        return None
    identifiers = getattr(resource, "identifier", None) or []
    return identifiers[0].value if identifiers else None


def _test(row: int, isolate_row: int, obs: Any) -> dict[str, Any]:
    quantity = obs.valueQuantity
    unit = (quantity.code or quantity.unit) if quantity else None
    value = None
    if quantity is not None and quantity.value is not None:
        value = f"{quantity.comparator or ''}{quantity.value.normalize():f}" if hasattr(
            quantity.value, "normalize") else f"{quantity.comparator or ''}{quantity.value}"
    category = None
    for concept in obs.interpretation or []:
        category = _code(concept) or category
    method = "DISK" if unit in _DISK_UNITS else "MIC" if unit in _MIC_UNITS else None
    display = " ".join(c.display or "" for c in obs.code.coding or []).lower()
    if "gradient" in display:
        method = "GRADIENT"
    return {
        "isolate_row": isolate_row, "source_row": row, "source_column": "Observation",
        "antimicrobial_raw": _code(obs.code), "coding": "auto", "method": method,
        "potency": None, "guideline": None, "value": value,
        "lab_sir": _SDD.get(category, category) if category else None,
    }


register(FhirReader())
