"""The reader contract and the registry every reader (built-in or third-party) registers in.

A reader takes the bytes of one upload plus `ReadOptions`; gives a `RawUpload`: one row per
candidate isolate with the lab's fields as text under amrwatch field names (`fields`), one row per
antimicrobial result (`tests`, schema `TESTS`), and the issues it met. Everything after that
(dates, codes, pseudonyms, validation) is shared by all readers in `amrwatch.ingest.normalise`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import pyarrow as pa

from amrwatch.errors import InputError

if TYPE_CHECKING:
    from amrwatch.ingest.mapping import Mapping
    from amrwatch.ingest.report import Issues

#: Fields a reader may put in `fields` (all text); anything else is ignored by the normaliser.
FIELDS = (
    "isolate_id", "patient_id", "first_name", "last_name", "birth_date", "comment", "sex", "age",
    "country", "laboratory", "specimen_number", "isolate_number", "specimen_date",
    "specimen_type", "admission_date", "patient_type", "ward_type", "origin", "organism",
)
#: Fields that identify a person: dropped (names, birth date, free text) or pseudonymised (id).
IDENTIFIER_FIELDS = ("patient_id", "first_name", "last_name", "birth_date", "comment")

#: One antimicrobial result as a reader found it, before any interpretation of its text.
#: A reader may give source_column, antimicrobial_raw, coding, method, potency and guideline
#: dictionary-encoded (dictionary<int32, string>, same texts): the WHONET and wide LIS readers do,
#: since they are the same for every result of one column. Consumers must accept either type.
TESTS = pa.schema([
    ("isolate_row", pa.int64()),  # the isolate it belongs to (= its fields.source_row)
    ("source_row", pa.int64()),  # where the result is written (= isolate_row in wide files)
    ("source_column", pa.string()),  # column / element it came from, e.g. "AMP_ND10", "OBX-5"
    ("antimicrobial_raw", pa.string()),  # drug as written: "AMP", "Ciprofloxacin", "28-1"
    ("coding", pa.string()),  # how to resolve antimicrobial_raw: whonet | loinc | name
    ("method", pa.string()),  # MIC | DISK | GRADIENT | null when the source does not say
    ("potency", pa.string()),
    ("guideline", pa.string()),  # guideline the lab tested under, e.g. "CLSI"
    ("value", pa.string()),  # the cell: "06", "<=0.25", "S", "< 0.5 S"
    ("lab_sir", pa.string()),  # the lab's category when given apart from the value (FHIR, HL7)
])


@dataclass
class ReadOptions:
    file: str
    mapping: Mapping | None = None
    date_order: str | None = None


@dataclass
class RawUpload:
    reader: str
    fields: pa.Table  # source_row (int64) + any of FIELDS (string)
    tests: pa.Table  # TESTS
    rows_read: int  # data rows (or isolates of messages) seen, rejected ones included
    encoding: str | None = None
    date_order: str | None = None  # the order the source fixes (ISO, HL7: "ymd"), if any
    columns: dict[str, str] = field(default_factory=dict)  # field -> source column, for issues
    unused: pa.Table | None = None  # columns not stored (strict mode checks them for identifiers)
    rows_are_isolates: bool = True  # False for a long layout: several rows make one isolate


class Reader(Protocol):
    name: str

    def sniff(self, head: bytes, path: Path) -> bool:
        """True when this reader recognises the file from its first bytes and its name."""

    def read(self, raw: bytes, options: ReadOptions, issues: Issues) -> RawUpload:
        """Parse the upload; raise InputError for a file it cannot read at all."""


READERS: dict[str, Reader] = {}


def register(reader: Reader) -> Reader:
    """Add a reader under its name (a third-party reader registers the same way)."""
    READERS[reader.name] = reader
    return reader


def _builtin() -> None:
    # Importing the modules registers them; done lazily so `import amrwatch.ingest` stays light.
    from amrwatch.ingest import fhir, hl7v2, lis, whonet  # noqa: F401


def reader(name: str) -> Reader:
    _builtin()
    if name not in READERS:
        raise InputError(
            f"Unknown format {name!r}", {"format": name, "reason": "unknown_format"},
            hint=f"use one of: {', '.join(sorted(READERS))}",
        )
    return READERS[name]


def detect(raw: bytes, path: Path, mapping: Mapping | None) -> str:
    """The format of an upload: a mapping means a LIS file; else each reader's sniff, in order."""
    _builtin()
    if mapping is not None:
        return "excel" if READERS["excel"].sniff(raw[:4096], path) else "csv"
    for name in ("excel", "fhir", "hl7", "whonet"):
        if READERS[name].sniff(raw[:65536], path):
            return name
    from amrwatch.ingest.encoding import decode

    decode(raw, path.name)  # an empty or binary file gets its own, clearer reason
    raise InputError(
        "Cannot tell the format of the file", {"file": str(path), "reason": "unknown_format"},
        hint="pass --format whonet|csv|excel|fhir|hl7 (and --mapping MAP.yaml for a LIS file)",
    )
