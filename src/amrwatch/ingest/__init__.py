"""Ingest: a lab's file -> validated, pseudonymised ISOLATE + AST_RESULT tables and a report.

Takes WHONET exports (pipe/tab/comma; code or name headers), LIS CSV/Excel with a YAML mapping,
FHIR R4 Bundles and HL7 v2.5.1 ORU^R01 messages; gives `ReadResult` (tables of
`amrwatch.schemas`, every validation issue with file/row/column/value/reason, counts and a
data-quality score). Readers register in `amrwatch.ingest.registry`; names, birth dates and
comments never leave the reader stage, patient ids leave as keyed pseudonyms. See docs/ingest.md.
"""

from __future__ import annotations

from amrwatch.ingest.identifiers import Finding, find_identifiers
from amrwatch.ingest.upload import ReadResult, read_upload

__all__ = ["Finding", "ReadResult", "find_identifiers", "read_upload"]
