"""HL7 v2.5.1 ORU^R01 microbiology messages -> isolates and AST results.

Takes one or more messages (segments separated by CR, LF or CRLF; each message starts with MSH),
parsed with the `hl7` library (shared/specs/fhir-hl7.md §2). A culture OBR carries one OBX per
organism (OBX-4 = sub-ID, OBX-5 = organism); each susceptibility OBR points at its organism by
OBR-26 (parent OBX-3 code ^ parent OBX-4 sub-ID) within the same message, and its OBX segments
are the drugs (OBX-3 LOINC, OBX-5 value, SN `<=^0.25` or NM, OBX-6 unit, OBX-8 S/I/R).
Rows are numbered by line: an isolate is located at its organism OBX, a result at its OBX.
Only final or corrected results are kept (OBX-11 F/C; fhir-hl7.md §2.1); others are reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from amrwatch.errors import InputError
from amrwatch.ingest.encoding import decode
from amrwatch.ingest.registry import TESTS, RawUpload, ReadOptions, register
from amrwatch.ingest.report import Issues

_DISK_UNITS = {"mm"}
_MIC_UNITS = {"ug/mL", "mg/L", "ug/ml", "mg/l"}
_FINAL = {"F", "C", ""}


@dataclass
class _Message:
    """What one message says about its patient and specimen, as text fields."""

    patient: dict[str, str | None] = field(default_factory=dict)
    organisms: dict[tuple[str, str], tuple[int, dict]] = field(default_factory=dict)
    parent: tuple[str, str] | None = None  # organism the current susceptibility OBR reports on
    parent_line: int = 0


class Hl7Reader:
    name = "hl7"

    def sniff(self, head: bytes, path: Path) -> bool:
        return head.lstrip(b"\xef\xbb\xbf \r\n\x0b").startswith(b"MSH|")

    def read(self, raw: bytes, options: ReadOptions, issues: Issues) -> RawUpload:
        text = decode(raw, options.file).text.replace("\x0b", "").replace("\x1c", "")
        lines = [line for line in re.split(r"\r\n|\r|\n", text)]
        isolates: list[dict] = []
        tests: list[dict] = []
        for start, end in _message_spans(lines, options.file):
            self._message(lines, start, end, isolates, tests, issues, options.file)
        fields = pa.Table.from_pylist(isolates) if isolates else pa.table(
            {"source_row": pa.array([], pa.int64()), "organism": pa.array([], pa.string())})
        schema = pa.schema([(n, pa.int64() if n == "source_row" else pa.string())
                            for n in fields.column_names])
        return RawUpload(reader=self.name, fields=fields.cast(schema),
                         tests=pa.Table.from_pylist(tests, schema=TESTS),
                         rows_read=len(isolates), encoding=None, date_order="ymd",
                         columns={"organism": "OBX-5", "specimen_date": "SPM-17"})

    def _message(self, lines: list[str], start: int, end: int, isolates: list[dict],
                 tests: list[dict], issues: Issues, file: str) -> None:
        import hl7

        try:
            message = hl7.parse("\r".join(lines[start:end]))
        except Exception as error:
            raise InputError(f"HL7 message at line {start + 1} cannot be parsed: {error}",
                             {"file": file, "reason": "unparseable_file", "row": start + 1}) \
                from error
        state = _Message()
        control_id = _part(message.segment("MSH"), 10)
        culture_obr = True
        for offset, segment in enumerate(message):
            line = start + offset + 1
            kind = str(segment[0])
            if kind in ("PID", "PV1", "SPM"):
                state.patient.update(_PATIENT[kind](segment))
            elif kind == "OBR":
                state.parent = (_part(segment, 26, 1, 1), _part(segment, 26, 2)) \
                    if _part(segment, 26) else None
                culture_obr = state.parent is None
            elif kind == "OBX" and culture_obr:
                self._organism(segment, line, state, issues)
            elif kind == "OBX":
                self._result(segment, line, state, tests, issues)
        for (_, sub_id), (row, organism) in state.organisms.items():
            # The SPM segment may follow the organism OBX, so the id is made at the end.
            specimen = state.patient.get("specimen_number") or control_id
            isolates.append({**state.patient, **organism, "source_row": row,
                             "isolate_id": f"{specimen}/{sub_id}"})

    def _organism(self, segment: Any, line: int, state: _Message, issues: Issues) -> None:
        if _part(segment, 2) not in ("CWE", "CE", "ST"):
            issues.add("column_not_stored", row=line, column="OBX-5", value=_part(segment, 3, 1),
                       message="culture observation that names no organism; not stored")
            return
        code, text = _part(segment, 5, 1), _part(segment, 5, 2)
        key = (_part(segment, 3, 1), _part(segment, 4))
        state.organisms[key] = (line, {"organism": code or text})

    def _result(self, segment: Any, line: int, state: _Message, tests: list[dict],
                issues: Issues) -> None:
        drug = _part(segment, 3, 1)
        parent = state.organisms.get(state.parent) if state.parent else None
        if parent is None:
            issues.add("unlinked_result", row=line, column="OBR-26", value=drug,
                       message="susceptibility OBR-26 does not point at an organism OBX")
            return
        if _part(segment, 11) not in _FINAL:
            issues.add("not_final", row=line, column="OBX-11", value=_part(segment, 11))
            return
        kind, unit = _part(segment, 2), _part(segment, 6, 1)
        value = _part(segment, 5, 1) + _part(segment, 5, 2) if kind == "SN" else _part(segment, 5)
        tests.append({
            "isolate_row": parent[0], "source_row": line, "source_column": "OBX-5",
            "antimicrobial_raw": drug, "coding": "auto",
            "method": "DISK" if unit in _DISK_UNITS else "MIC" if unit in _MIC_UNITS else None,
            "potency": None, "guideline": None, "value": value or None,
            "lab_sir": _part(segment, 8) or None,
        })


def _message_spans(lines: list[str], file: str) -> list[tuple[int, int]]:
    starts = [i for i, line in enumerate(lines) if line.startswith("MSH|")]
    if not starts:
        raise InputError("No HL7 message found (no line starts with MSH|)",
                         {"file": file, "reason": "unparseable_file"})
    return list(zip(starts, starts[1:] + [len(lines)]))


def _part(segment: Any, field_no: int, component: int | None = None,
          sub: int | None = None) -> str:
    """Text of field / component / subcomponent ('' when absent); 1-based as in HL7."""
    try:
        text = str(segment[field_no])
    except IndexError:
        return ""
    text = text.split("~")[0]
    if component is not None:
        parts = text.split("^")
        text = parts[component - 1] if component <= len(parts) else ""
    if sub is not None:
        parts = text.split("&")
        text = parts[sub - 1] if sub <= len(parts) else ""
    return text


def _date(text: str) -> str | None:
    return text[:8] or None


_PATIENT = {
    # PID-3 id, PID-5 name (read only to be reported as dropped), PID-7 birth date, PID-8 sex.
    "PID": lambda s: {"patient_id": _part(s, 3, 1) or None, "last_name": _part(s, 5, 1) or None,
                      "first_name": _part(s, 5, 2) or None, "birth_date": _date(_part(s, 7)),
                      "sex": _part(s, 8) or None},
    # PV1-2 patient class (I/O/E), PV1-44 admission (fhir-hl7.md §2.1).
    "PV1": lambda s: {"patient_type": _part(s, 2) or None,
                      "admission_date": _date(_part(s, 44))},
    # SPM-2 specimen id, SPM-4 type, SPM-17 collection time.
    "SPM": lambda s: {"specimen_number": _part(s, 2, 1) or None,
                      "specimen_type": _part(s, 4, 1) or _part(s, 4, 2) or None,
                      "specimen_date": _date(_part(s, 17, 1))},
}


register(Hl7Reader())
