"""WHONET exports: pipe, tab, semicolon or comma delimited; field-code or field-name headers.

Takes a WHONET text export (shared/specs/whonet-export.md): one row per isolate, patient and
specimen fields under codes (`SPEC_DATE`, as in WHONET's SampleInputFile.txt) or names
(`Specimen date`, as in the AMR package's WHONET data set), and one column per antimicrobial test
named `<DRUG>_<guideline><method>[<potency>]` (`AMP_ND10`, `CIP_NM`, `PEN_NE`, `SXT_ND1_2`).
Gives a `RawUpload` whose tests are the non-empty result cells, melted column by column.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from amrwatch.errors import InputError
from amrwatch.ingest.data import rows
from amrwatch.ingest.delimited import read_delimited, report_unused, sniff_delimiter
from amrwatch.ingest.encoding import decode
from amrwatch.ingest.registry import TESTS, RawUpload, ReadOptions, register
from amrwatch.ingest.report import Issues

#: Result column names, as validated by AMRIE IsolateInterpretation.cs (whonet-export.md §4.1).
RESULT_COLUMN = re.compile(r"^([A-Z]{3}|X_\d+)_([NEFSDTBA])(D.*|M|E)$", re.IGNORECASE)


@cache
def header_fields() -> dict[str, str]:
    """Upper-cased WHONET field code or field name -> amrwatch field ("-" = not stored)."""
    table: dict[str, str] = {}
    for row in rows("whonet_fields.tsv"):
        for key in (row["code"], row["name"]):
            if key:
                table[key.upper()] = row["field"]
    return table


@cache
def test_letters() -> dict[tuple[str, str], str]:
    return {(row["kind"], row["letter"]): row["value"] for row in rows("whonet_test_codes.tsv")}


def result_column(name: str) -> dict[str, str | None] | None:
    """'SXT_ND1_2' -> drug SXT, guideline CLSI, method DISK, potency '1.2'; None if no result."""
    match = RESULT_COLUMN.match(name)
    if match is None:
        return None
    drug, guideline, test = match.groups()
    letters = test_letters()
    potency = test[1:].replace("_", ".") or None if test[0].upper() == "D" else None
    return {"drug": drug.upper(), "guideline": letters[("guideline", guideline.upper())],
            "method": letters[("method", test[0].upper())], "potency": potency}


class WhonetReader:
    name = "whonet"

    def sniff(self, head: bytes, path: Path) -> bool:
        try:
            line = decode(head, str(path)).text.split("\n", 1)[0].rstrip("\r")
        except InputError:
            return False
        names = [name.strip().strip('"') for name in line.split(sniff_delimiter(line))]
        known = sum(1 for name in names if name.upper() in header_fields())
        results = sum(1 for name in names if RESULT_COLUMN.match(name))
        return results >= 1 and known >= 2

    def read(self, raw: bytes, options: ReadOptions, issues: Issues) -> RawUpload:
        decoded = decode(raw, options.file)
        # A UTF-8 file's bytes are its text's UTF-8 (no BOM: that would be utf-8-sig).
        utf8 = raw if decoded.encoding == "utf-8" else None
        parsed = read_delimited(decoded.text, options.file, issues, data=utf8)
        fields, results, columns = self._classify(parsed.header, options.file)
        table = parsed.table
        unused = [c for c in parsed.header if c not in columns.values() and c not in results]
        report_unused(table, unused, issues)
        field_table = pa.table(
            [table.column("source_row")] + [table.column(columns[f]) for f in fields],
            names=["source_row", *fields],
        )
        return RawUpload(
            reader=self.name, fields=field_table, tests=melt(table, results),
            rows_read=parsed.rows_read, encoding=decoded.encoding,
            date_order=options.date_order, columns=columns, unused=table.select(unused),
        )

    def _classify(self, header: list[str], file: str):
        known = header_fields()
        columns: dict[str, str] = {}
        results: dict[str, dict] = {}
        for name in header:
            field = known.get(name.upper())
            if field and field != "-" and field not in columns:
                columns[field] = name
            elif field is None and (parsed := result_column(name)):
                results[name] = parsed
        if "organism" not in columns or not results:
            raise InputError(
                "This does not look like a WHONET export: no ORGANISM column or no antimicrobial "
                "result columns (named like AMP_ND10) were found",
                {"file": file, "reason": "unrecognised_header", "columns": ", ".join(header[:8])},
                hint="check the delimiter; for a LIS export use --format csv --mapping MAP.yaml",
            )
        return list(columns), results, columns


#: TESTS columns that are the same for every cell of one result column.
CONSTANT = ("source_column", "antimicrobial_raw", "coding", "method", "potency", "guideline")
#: TESTS as `melt` makes it: the CONSTANT columns dictionary-encoded (int32 indices).
MELTED = pa.schema([f.with_type(pa.dictionary(pa.int32(), pa.string())) if f.name in CONSTANT
                    else f for f in TESTS])


def melt(table: pa.Table, results: dict[str, dict]) -> pa.Table:
    """Wide result columns -> one TESTS row per non-empty cell, one column at a time.

    The CONSTANT columns come dictionary-encoded: a dictionary of the few distinct texts and, per
    result, the int32 index of its column's text, instead of millions of repeated strings."""
    names = list(results)
    texts = {"source_column": names, "antimicrobial_raw": [results[n]["drug"] for n in names],
             "coding": ["whonet"] * len(names), **{
                 key: [results[n][key] for n in names] for key in ("method", "potency",
                                                                   "guideline")}}
    dictionaries, codes = {}, {}
    for key, values in texts.items():
        distinct = list(dict.fromkeys(v for v in values if v is not None))
        dictionaries[key] = pa.array(distinct, pa.string())
        codes[key] = [None if v is None else distinct.index(v) for v in values]
    columns: dict[str, list[pa.Array]] = {name: [] for name in MELTED.names}
    filled: dict[int, pa.Array] = {}  # one index array per code, sliced for every column
    for k, name in enumerate(names):
        cells = table.column(name)
        keep = pc.is_valid(cells)
        n = pc.sum(keep).as_py() or 0
        if n == 0:
            continue
        rows = table.column("source_row").filter(keep).chunks
        columns["isolate_row"] += rows
        columns["source_row"] += rows
        for key in CONSTANT:
            code = codes[key][k]
            if code is None:
                indices = pa.nulls(n, pa.int32())
            else:
                if code not in filled:
                    filled[code] = pa.array(np.full(table.num_rows, code, np.int32))
                indices = filled[code].slice(0, n)
            columns[key].append(pa.DictionaryArray.from_arrays(indices, dictionaries[key]))
        columns["value"] += cells.filter(keep).chunks
        columns["lab_sir"].append(pa.nulls(n, pa.string()))
    if not columns["value"]:
        return MELTED.empty_table()
    return pa.table([pa.chunked_array(columns[f.name], f.type) for f in MELTED], schema=MELTED)


register(WhonetReader())
