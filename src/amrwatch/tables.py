"""Reading and writing user tables (TSV, CSV, Parquet) chosen by file extension.

Takes a path; gives an Arrow table with every column of a text file read as a string (codes such
as `012` keep their zeros, values such as `<=0.25` stay raw). Errors name the file and what to do.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from amrwatch.errors import InputError

FORMATS = {".tsv": "\t", ".txt": "\t", ".csv": ","}


def _delimiter(path: Path) -> str | None:
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return None
    if suffix not in FORMATS:
        raise InputError(
            "Unsupported table format",
            {"file": str(path), "extension": suffix or "(none)"},
            hint="use a .tsv, .csv or .parquet file",
        )
    return FORMATS[suffix]


def read_table(path: Path) -> pa.Table:
    """Read a TSV/CSV (all columns as strings, empty = null) or Parquet file."""
    path = Path(path)
    delimiter = _delimiter(path)
    if not path.is_file():
        raise InputError("File not found", {"file": str(path)})
    try:
        if delimiter is None:
            return pq.read_table(path)
        with path.open(encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle, delimiter=delimiter), [])
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(encoding="utf8"),
            parse_options=pacsv.ParseOptions(delimiter=delimiter),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in header},
                null_values=[""],
                strings_can_be_null=True,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError, OSError) as error:
        raise InputError(
            f"Cannot read table: {error}",
            {"file": str(path)},
            hint="check the delimiter matches the extension and the file is UTF-8",
        ) from error


def write_table(table: pa.Table, path: Path) -> None:
    """Write a table as TSV, CSV or Parquet by the extension of `path`."""
    path = Path(path)
    delimiter = _delimiter(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if delimiter is None:
        pq.write_table(table, path, compression="zstd")
        return
    # TSV is written unquoted (what WHONET and spreadsheet users expect); CSV quotes strings.
    quoting = "none" if delimiter == "\t" else "needed"
    try:
        pacsv.write_csv(
            table, path, write_options=pacsv.WriteOptions(
                delimiter=delimiter, quoting_style=quoting, quoting_header=quoting
            ),
        )
    except pa.ArrowInvalid as error:
        raise InputError(
            f"Cannot write table: {error}", {"file": str(path)}, hint="write CSV or Parquet instead"
        ) from error
