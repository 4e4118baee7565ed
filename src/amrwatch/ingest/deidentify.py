"""`amrwatch pseudonymise` at the lab: a delimited export without its personal identifiers.

Takes a WHONET export or a LIS CSV (its identifier columns found through the WHONET header names
or the lab's mapping) and the lab's key; writes the same file, same columns and delimiter, UTF-8,
where the patient id is its keyed pseudonym, first and last names, birth date and comments are
gone, and an age column holds the age in completed years at the specimen date wherever the lab
gave a birth date but no age. Rows that cannot be read are reported and left out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from amrwatch.errors import InputError
from amrwatch.ingest.dates import infer_order, parse_dates
from amrwatch.ingest.delimited import read_delimited
from amrwatch.ingest.encoding import decode
from amrwatch.ingest.mapping import Mapping
from amrwatch.ingest.normalise import completed_years
from amrwatch.ingest.pseudonymise import pseudonymise
from amrwatch.ingest.report import Issues
from amrwatch.ingest.whonet import header_fields

_DROPPED = ("first_name", "last_name", "birth_date", "comment")


@dataclass
class Deidentified:
    rows_written: int
    rows_skipped: int
    pseudonymised: str | None  # the patient id column
    dropped: list[str]
    ages_from_birth_date: int
    issues: pa.Table


def pseudonymise_file(path: Path, key: bytes, out: Path, mapping: Mapping | None = None,
                      date_order: str | None = None, today: dt.date | None = None) -> Deidentified:
    """Write `out`: `path` with identifiers pseudonymised or dropped; refuse to overwrite `path`."""
    path, out = Path(path), Path(out)
    raw = check_source(path, out, mapping)
    issues = Issues(path.name)
    parsed = read_delimited(decode(raw, path.name).text, path.name, issues,
                            mapping.delimiter if mapping else None)
    table = parsed.table.drop_columns(["source_row"])
    where = _identifier_columns(parsed.header, mapping)
    if "patient_id" in where:
        column = where["patient_id"]
        table = table.set_column(table.column_names.index(column), column,
                                 pseudonymise(table[column], key))
    table, filled = _ages(table, where, date_order, today or dt.date.today())
    dropped = [where[f] for f in _DROPPED if f in where]
    table = table.drop_columns(dropped)
    out.parent.mkdir(parents=True, exist_ok=True)
    pacsv.write_csv(table, out, write_options=pacsv.WriteOptions(
        delimiter=parsed.delimiter, quoting_style="needed"))
    return Deidentified(table.num_rows, parsed.rows_read - table.num_rows,
                        where.get("patient_id"), dropped, filled, issues.table())


def check_source(path: Path, out: Path, mapping: Mapping | None) -> bytes:
    """The bytes of `path` if it can be pseudonymised into `out`, else an InputError. Only
    delimited text is rewritten here; FHIR, HL7 and Excel are refused, not mangled."""
    from amrwatch.ingest.registry import detect

    if Path(out).resolve() == Path(path).resolve():
        raise InputError("The output would overwrite the original export",
                         {"file": str(path), "output": str(out)}, hint="choose another -o file")
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        raise InputError("File not found or unreadable", {"file": str(path)}) from error

    try:
        kind = detect(raw, path, mapping)
    except InputError:
        return raw  # a LIS text without mapping: its WHONET-named columns may still be found
    if kind not in ("whonet", "csv"):
        raise InputError(
            f"`amrwatch pseudonymise` rewrites WHONET and CSV text exports, not {kind} files",
            {"file": str(path), "format": kind},
            hint="export the data as text (CSV, tab or pipe delimited), or pseudonymise in the "
            "LIS; `amrwatch ingest` pseudonymises FHIR and HL7 on the way in",
        )
    return raw


def _identifier_columns(header: list[str], mapping: Mapping | None) -> dict[str, str]:
    """field -> column for patient id, names, birth date, comment, age and specimen date."""
    wanted = {"patient_id", "age", "specimen_date", *_DROPPED}
    if mapping is not None:
        return {f: c for f, c in mapping.field_columns().items() if f in wanted}
    known = header_fields()
    found: dict[str, str] = {}
    for name in header:
        field = known.get(name.upper())
        if field in wanted and field not in found:
            found[field] = name
    return found


def _ages(table: pa.Table, where: dict[str, str], date_order: str | None,
          today: dt.date) -> tuple[pa.Table, int]:
    """Fill the age column from birth and specimen dates where the lab gave no age."""
    if "birth_date" not in where or "specimen_date" not in where:
        return table, 0
    birth_text, specimen_text = table[where["birth_date"]], table[where["specimen_date"]]
    order = date_order or infer_order(birth_text, specimen_text)
    birth, _ = parse_dates(birth_text, order, today)
    taken, _ = parse_dates(specimen_text, order, today)
    years = pc.cast(pc.cast(completed_years(birth, taken), pa.int64()), pa.string())
    years = pc.if_else(pc.less(pc.cast(years, pa.int64()), 0), pa.scalar(None, pa.string()),
                       years)
    name = where.get("age") or ("AGE" if where["birth_date"].isupper() else "Age")
    given = table[name] if name in table.column_names else pa.nulls(table.num_rows, pa.string())
    filled = pc.and_(pc.is_null(given), pc.is_valid(years))
    age = pc.coalesce(given, years)
    if name in table.column_names:
        table = table.set_column(table.column_names.index(name), name, age)
    else:
        table = table.append_column(name, age)
    return table, pc.sum(pc.cast(filled, pa.int64())).as_py() or 0
