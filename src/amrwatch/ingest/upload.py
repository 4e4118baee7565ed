"""One upload from file to validated tables: `read_upload(path, ...) -> ReadResult`.

Takes a file (WHONET, LIS CSV/Excel with a mapping, FHIR R4 Bundle, HL7 v2 ORU^R01), the lab and
country it comes from and the lab's pseudonymisation key; gives ISOLATE and AST_RESULT tables of
the accepted rows, every issue found (VALIDATION_ISSUE), counts and a data-quality score. Nothing
is written anywhere; `amrwatch ingest` hands the result to the store in one transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from amrwatch.errors import ConfigurationError, InputError
from amrwatch.ingest import quality
from amrwatch.ingest.dates import ORDERS
from amrwatch.ingest.identifiers import find_identifiers
from amrwatch.ingest.mapping import Mapping, load_mapping
from amrwatch.ingest.normalise import Context, build_isolates
from amrwatch.ingest.pseudonymise import key_path, load_or_create_key
from amrwatch.ingest.registry import RawUpload, ReadOptions, detect, reader
from amrwatch.ingest.report import Issues, summary
from amrwatch.ingest.results import build_results, prepare_results

_COUNTRY = re.compile(r"^[A-Z]{3}$")
#: Issues kept inside the stored report (errors first); the summary counts them all.
STORED_ISSUES = 10_000


@dataclass
class ReadResult:
    file: str
    reader: str
    sha256: str
    lab_code: str
    country: str
    encoding: str | None
    isolates: pa.Table  # ISOLATE
    ast_results: pa.Table  # AST_RESULT
    issues: pa.Table  # VALIDATION_ISSUE
    quality: dict[str, Any]
    counts: dict[str, int]

    @property
    def errors(self) -> int:
        return pc.sum(pc.equal(self.issues["severity"], "error")).as_py() or 0

    def report(self, issues: int = STORED_ISSUES) -> dict[str, Any]:
        """The upload report, JSON-ready, as the store keeps it: counts, quality, a summary of
        every issue, and the first `issues` issues, errors first (the JSON file has them all)."""
        errors_first = self.issues.sort_by([("severity", "ascending", "at_start"),
                                            ("row", "ascending", "at_start")])
        return {
            "file": self.file, "reader": self.reader, "sha256": self.sha256,
            "lab_code": self.lab_code, "country": self.country, "encoding": self.encoding,
            "counts": self.counts, "quality": self.quality,
            "quality_score": self.quality.get("score"), "summary": summary(self.issues),
            "issues": errors_first.slice(0, issues).to_pylist(),
            "issues_total": self.issues.num_rows,
        }


def read_upload(path: Path | str, format: str | None = None,
                mapping: Mapping | Path | str | None = None, *, lab: str, country: str,
                key: bytes | None = None, date_order: str | None = None,
                lab_guideline: str | None = None, strict: bool = False,
                today: dt.date | None = None, content: bytes | None = None) -> ReadResult:
    """Read, validate and pseudonymise one upload; raise InputError when the whole file fails.

    `key` defaults to the lab's key file (created on first use). `strict` rejects a file that
    still carries personal identifiers (the hub's rule for files received over the network).
    `content` gives the bytes when they are not on disk (an API upload); `path` then names them.
    """
    path = Path(path)
    _check_settings(lab, country, date_order)
    _prefer_jemalloc()
    raw = content if content is not None else _read_bytes(path)
    if isinstance(mapping, str | Path):
        mapping = load_mapping(mapping)
    name = format or detect(raw, path, mapping)
    issues = Issues(path.name)
    options = ReadOptions(file=path.name, mapping=mapping, date_order=date_order)
    upload = reader(name).read(raw, options, issues)
    sha256 = hashlib.sha256(raw).hexdigest()
    del raw  # the tables hold the content now; a large file's bytes need not wait for the end
    _check_rows(upload, path.name)
    if strict:
        _refuse_identifiers(upload, path.name)
    if upload.encoding not in (None, "utf-8", "utf-8-sig"):
        issues.add("encoding_converted", value=upload.encoding,
                   message=f"read as {upload.encoding} and converted to UTF-8")
    today = today or dt.date.today()
    ctx = Context(lab_code=lab, country=country, today=today,
                  key=key if key is not None else load_or_create_key(key_path(lab))[0],
                  date_order=upload.date_order,
                  date_format=mapping.date_format if mapping else None,
                  value_maps={str(k): v for k, v in mapping.values.items()} if mapping else {},
                  defaults=dict(mapping.defaults) if mapping else {})
    # The results are read on the second core while the isolates are validated: they need the
    # isolates only at the end, to keep those of accepted rows (docs/ingest.md, "Speed").
    with ThreadPoolExecutor(1) as worker:
        prepared = worker.submit(prepare_results, upload.tests, lab, lab_guideline)
        try:
            isolates = build_isolates(upload, ctx, issues)
        except InputError as error:
            error.context.setdefault("file", path.name)
            raise
        ast, of_rejected, tested = build_results(prepared.result(), isolates, issues)
    quality.check_expected_resistance(isolates, ast, issues)
    checked = quality.check_against_guideline(isolates, ast, lab_guideline, issues)
    table = issues.table()
    counts = {
        "rows_read": upload.rows_read, "rows_rejected": _rows_rejected(upload, isolates),
        "isolates_read": upload.fields.num_rows, "isolates_accepted": isolates.num_rows,
        "isolates_rejected": upload.fields.num_rows - isolates.num_rows,
        "results_read": upload.tests.num_rows, "results_accepted": ast.num_rows,
        "results_rejected": upload.tests.num_rows - ast.num_rows,
        "results_of_rejected_rows": of_rejected,
        "errors": pc.sum(pc.equal(table["severity"], "error")).as_py() or 0,
        "warnings": pc.sum(pc.equal(table["severity"], "warning")).as_py() or 0,
    }
    return ReadResult(
        file=path.name, reader=name, sha256=sha256, lab_code=lab,
        country=country, encoding=upload.encoding, isolates=isolates, ast_results=ast,
        issues=table, quality=quality.score(isolates, ast, tested, table, today,
                                                    checked), counts=counts,
    )


def _rows_rejected(upload: RawUpload, isolates: pa.Table) -> int:
    """Rows of the file that reached the store neither as an isolate nor as one of its results
    (a long layout spreads one isolate over several rows)."""
    if upload.rows_are_isolates:
        return upload.rows_read - isolates.num_rows
    of_accepted = pc.is_in(upload.tests["isolate_row"], isolates["source_row"])
    kept = pc.unique(pa.chunked_array([upload.tests["source_row"].filter(of_accepted),
                                       isolates["source_row"]]))
    return upload.rows_read - len(kept)


def _prefer_jemalloc() -> None:
    """Use Arrow's jemalloc pool where this pyarrow has one. On a 9.6-million-result upload it
    peaks about 200 MB lower than the default mimalloc, with a third of the system time (page
    faults), measured with `amrwatch bench read` (docs/ingest.md, Speed). Process-wide; arrays
    already allocated keep their own pool."""
    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
    except NotImplementedError:
        pass


def _check_settings(lab: str, country: str, date_order: str | None) -> None:
    key_path(lab)  # validates the lab code
    if not _COUNTRY.match(country or ""):
        raise ConfigurationError("The country must be an ISO 3166-1 alpha-3 code in capitals",
                                 {"setting": "--country", "value": country},
                                 hint="for example ARG, BRA, MEX, CUB, JAM")
    if date_order is not None and date_order not in ORDERS:
        raise ConfigurationError("Unknown date order", {"setting": "--date-order",
                                                        "value": date_order},
                                 hint="use dmy, mdy or ymd")


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as error:
        raise InputError("File not found", {"file": str(path)}) from error
    except (IsADirectoryError, PermissionError, OSError) as error:
        raise InputError(f"The file cannot be read: {error.strerror or error}",
                         {"file": str(path)}) from error


def _check_rows(upload: RawUpload, file: str) -> None:
    if upload.rows_read == 0:
        raise InputError("The file has a header but no data rows",
                         {"file": file, "reason": "no_data_rows"},
                         hint="export a period that has results")


def _refuse_identifiers(upload: RawUpload, file: str) -> None:
    findings = find_identifiers(upload.fields)
    if upload.unused is not None:
        findings += find_identifiers(upload.unused)
    if findings:
        found = ", ".join(f"{f.column} ({f.values} values)" for f in findings)
        raise InputError(
            "The file still carries personal identifiers and was not accepted",
            {"file": file, "reason": "identifiers_present", "columns": found},
            hint="run `amrwatch pseudonymise FILE --key-file K -o OUT` at the laboratory and "
            "send OUT instead",
        )
