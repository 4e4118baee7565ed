"""LIS exports (CSV, Excel) read through the lab's YAML mapping, wide or long layout.

Takes a delimited text or .xlsx file and a `Mapping`; gives a `RawUpload`. Wide layout: one row
per isolate, one column per antimicrobial (AMR's example_isolates_unclean). Long layout: one row
per test; rows with the same isolate fields form one isolate, located at its first row.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from amrwatch.errors import ConfigurationError, InputError
from amrwatch.ingest.delimited import read_delimited, report_unused
from amrwatch.ingest.duplicates import first_of_group, in_memory_duckdb
from amrwatch.ingest.encoding import decode
from amrwatch.ingest.mapping import Mapping
from amrwatch.ingest.registry import TESTS, RawUpload, ReadOptions, register
from amrwatch.ingest.report import Issues


def _need_mapping(options: ReadOptions) -> Mapping:
    if options.mapping is None:
        raise ConfigurationError(
            "A LIS file needs a mapping that says which column is which",
            {"setting": "--mapping", "file": options.file},
            hint="pass --mapping MAP.yaml; examples are in docs/ingest.md",
        )
    return options.mapping


class CsvReader:
    name = "csv"

    def sniff(self, head: bytes, path: Path) -> bool:
        return path.suffix.lower() in (".csv", ".tsv", ".txt")

    def read(self, raw: bytes, options: ReadOptions, issues: Issues) -> RawUpload:
        mapping = _need_mapping(options)
        decoded = decode(raw, options.file)
        parsed = read_delimited(decoded.text, options.file, issues, mapping.delimiter)
        return apply_mapping(parsed.table, parsed.rows_read, mapping, options, issues,
                             self.name, decoded.encoding)


class ExcelReader:
    name = "excel"

    def sniff(self, head: bytes, path: Path) -> bool:
        return head.startswith(b"PK\x03\x04") and path.suffix.lower() in (".xlsx", ".xlsm")

    def read(self, raw: bytes, options: ReadOptions, issues: Issues) -> RawUpload:
        mapping = _need_mapping(options)
        table = _sheet(raw, mapping.sheet, options.file)
        return apply_mapping(table, table.num_rows, mapping, options, issues, self.name, None)


def _sheet(raw: bytes, sheet: str | None, file: str) -> pa.Table:
    """The sheet as strings (dates as ISO, whole numbers without '.0'); source_row numbered."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise InputError(f"The Excel file cannot be read: {error}",
                         {"file": file, "reason": "unparseable_file"},
                         hint="save it again as .xlsx, or export CSV") from error
    if sheet is not None and sheet not in book.sheetnames:
        raise InputError(f"The Excel file has no sheet {sheet!r}",
                         {"file": file, "reason": "missing_column",
                          "sheets": ", ".join(book.sheetnames)})
    rows = book[sheet] if sheet else book.worksheets[0]
    values = list(rows.iter_rows(values_only=True))  # openpyxl parses row by row
    book.close()
    if not values:
        raise InputError("The Excel sheet is empty", {"file": file, "reason": "empty_file"})
    header = [_cell(v) or f"column {i + 1}" for i, v in enumerate(values[0])]
    body = values[1:]
    columns = {name: pa.array([_cell(r[i]) if i < len(r) else None for r in body], pa.string())
               for i, name in enumerate(header)}
    table = pa.table(columns)
    return table.add_column(0, "source_row", pa.array(range(1, len(body) + 1), pa.int64()))


def _cell(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def apply_mapping(table: pa.Table, rows_read: int, mapping: Mapping, options: ReadOptions,
                  issues: Issues, reader: str, encoding: str | None) -> RawUpload:
    """Rename mapped columns to fields and turn the result columns into TESTS rows."""
    by_field = mapping.field_columns()
    _check_columns(table, mapping, options.file)
    fields = pa.table([table["source_row"]] + [table[c] for c in by_field.values()],
                      names=["source_row", *by_field])
    if mapping.layout == "wide":
        tests = _wide_tests(table, mapping, issues)
    else:
        fields, tests = _long(table, fields, mapping)
    unused = [c for c in table.column_names if c not in _used(mapping, tests)]
    report_unused(table, unused, issues)
    return RawUpload(reader=reader, fields=fields, tests=tests, rows_read=rows_read,
                     encoding=encoding, date_order=options.date_order or mapping.date_order,
                     columns=by_field, unused=table.select(unused),
                     rows_are_isolates=mapping.layout == "wide")


def _used(mapping: Mapping, tests: pa.Table) -> set[str]:
    used = {"source_row", *mapping.columns, *mapping.ignore}
    used |= set(pc.unique(tests["source_column"]).to_pylist()) | set(
        mapping.antimicrobials.columns or [])
    if mapping.results is not None:
        spec = mapping.results
        used |= {c for c in (spec.antimicrobial, spec.value, spec.interpretation, spec.method,
                             spec.potency, spec.guideline) if c}
    return used


def _check_columns(table: pa.Table, mapping: Mapping, file: str) -> None:
    named = list(mapping.columns) + (mapping.antimicrobials.columns or [])
    if mapping.results is not None:
        named += [c for c in (mapping.results.antimicrobial, mapping.results.value,
                              mapping.results.interpretation, mapping.results.method,
                              mapping.results.potency) if c]
    missing = [c for c in named if c not in table.column_names]
    if missing:
        raise InputError(
            "Columns named in the mapping are not in the file",
            {"file": file, "reason": "missing_column", "columns": ", ".join(missing),
             "mapping": mapping.name},
            hint="fix the column names in the mapping, or check the delimiter of the file",
        )
    if "organism" not in mapping.columns.values():
        raise InputError("The mapping names no organism column",
                         {"file": file, "reason": "invalid_mapping", "mapping": mapping.name})


def _wide_tests(table: pa.Table, mapping: Mapping, issues: Issues) -> pa.Table:
    from amrwatch.ingest.whonet import melt

    spec = mapping.antimicrobials
    taken = set(mapping.columns) | set(mapping.ignore) | {"source_row"}
    names = spec.columns or [c for c in table.column_names if c not in taken]
    results = {name: {"drug": name, "guideline": spec.guideline, "method": spec.method,
                      "potency": None} for name in names}
    tests = melt(table, results)
    return tests.set_column(tests.schema.get_field_index("coding"), "coding",
                            pa.repeat(pa.scalar(spec.coding), len(tests)))


#: What identifies an isolate in a long layout, in order of trust: the lab's isolate id; its
#: specimen number with isolate number and organism; else every isolate field together.
ISOLATE_KEYS = (("isolate_id",), ("specimen_number", "isolate_number", "organism"))


def _long(table: pa.Table, fields: pa.Table, mapping: Mapping) -> tuple[pa.Table, pa.Table]:
    """One isolate per isolate key, located at its first row, each field its first non-empty
    value (a field left blank on one test row does not split the isolate); one test per row."""
    spec = mapping.results
    assert spec is not None  # load_mapping guarantees it
    names = [n for n in fields.column_names if n != "source_row"]
    key = next(([k for k in keys if k in names] for keys in ISOLATE_KEYS if keys[0] in names),
               names)
    con = in_memory_duckdb()
    con.register("fields", fields)
    digests = con.sql(f"SELECT hash({', '.join(_quoted(key))}) AS h FROM fields "
                      "ORDER BY source_row").to_arrow_table()["h"].to_numpy()
    rows = fields["source_row"].to_numpy()
    isolate_rows = pa.array(rows[first_of_group(digests)])
    con.register("grouped", fields.append_column("isolate_row", isolate_rows))
    firsts = ", ".join(f'first({c} ORDER BY source_row) FILTER (WHERE {c} IS NOT NULL) AS {c}'
                       for c in _quoted(names))
    isolates = con.sql(f"SELECT isolate_row AS source_row, {firsts} FROM grouped "
                       "GROUP BY isolate_row ORDER BY isolate_row").to_arrow_table()
    con.close()
    n = table.num_rows

    def column(name: str | None) -> pa.Array:
        return table[name] if name and name in table.column_names else pa.nulls(n, pa.string())

    method = column(spec.method)
    if spec.methods:
        keys = pa.array(list(spec.methods))
        method = pa.array(list(spec.methods.values())).take(pc.index_in(method, keys))
    guideline = column(spec.guideline) if spec.guideline in table.column_names else pa.repeat(
        pa.scalar(spec.guideline, pa.string()), n)
    tests = pa.table([
        isolate_rows, table["source_row"], pa.repeat(pa.scalar(spec.value or spec.interpretation),
                                                     n),
        table[spec.antimicrobial], pa.repeat(pa.scalar(spec.coding), n), method,
        column(spec.potency), guideline,
        column(spec.value) if spec.value else column(spec.interpretation),
        column(spec.interpretation) if spec.value else pa.nulls(n, pa.string()),
    ], schema=TESTS)
    tests = tests.filter(pc.or_(pc.is_valid(tests["value"]), pc.is_valid(tests["lab_sir"])))
    return isolates.cast(fields.schema), tests


def _quoted(names: list[str]) -> list[str]:
    return ['"' + name.replace('"', '""') + '"' for name in names]


register(CsvReader())
register(ExcelReader())
