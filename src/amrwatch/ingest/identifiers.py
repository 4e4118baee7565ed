"""Finding personal identifiers still present in a table: the hub's gate for network uploads.

Takes an Arrow table, with amrwatch field names (a reader's `fields`) or a lab's own column names
(WHONET codes or names such as FIRST_NAME, "Last name", DATE_BIRTH, and the usual EN/ES/PT/FR
headers of data/identifier_columns.tsv such as "apellido", "nome", "fecha_nacimiento"); gives
one finding per column that still carries names, birth dates, free-text comments or raw (not yet
pseudonymised) patient ids. A hub that receives files from labs over the network reads them
with `strict=True`, which rejects such a file (reason `identifiers_present`) instead of silently
cleaning it: the identifiers should never have left the laboratory (`amrwatch pseudonymise`
runs there).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import pyarrow as pa
import pyarrow.compute as pc

from amrwatch.codes.terms import fold
from amrwatch.ingest.data import lookup
from amrwatch.ingest.pseudonymise import is_pseudonym
from amrwatch.ingest.registry import IDENTIFIER_FIELDS


@dataclass(frozen=True)
class Finding:
    column: str
    field: str  # first_name | last_name | birth_date | comment | patient_id
    values: int  # how many cells carry it


@cache
def identifier_headers() -> dict[str, str]:
    """Folded column names that hold identifiers in lab exports (data/identifier_columns.tsv)."""
    return {fold(k): v for k, v in lookup("identifier_columns.tsv", "column", "field").items()}


def _field_of(column: str, extra: dict[str, str]) -> str | None:
    from amrwatch.ingest.whonet import header_fields

    if column in IDENTIFIER_FIELDS:
        return column
    field = extra.get(column) or header_fields().get(column.upper()) or identifier_headers().get(
        fold(column).replace("_", " "))
    return field if field in IDENTIFIER_FIELDS else None


def find_identifiers(table: pa.Table, columns: dict[str, str] | None = None) -> list[Finding]:
    """Columns of `table` that carry identifiers; `columns` adds lab column -> field names."""
    findings = []
    for name in table.column_names:
        field = _field_of(name, columns or {})
        if field is None:
            continue
        cells = pc.cast(table.column(name), pa.string())
        cells = pc.if_else(pc.equal(pc.utf8_trim_whitespace(cells), ""),
                           pa.scalar(None, pa.string()), cells)
        if field == "patient_id":
            cells = cells.filter(pc.invert(pc.fill_null(is_pseudonym(cells), True)))
        count = pc.count(cells).as_py()
        if count:
            findings.append(Finding(name, field, count))
    return findings
