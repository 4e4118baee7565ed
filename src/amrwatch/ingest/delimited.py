"""Delimited text (WHONET exports, LIS CSV) -> an Arrow table of strings, one row per data line.

Takes decoded text; gives `Delimited(table, delimiter, header)` where every column is a string
(codes such as `06` keep their zero, `<=0.25` stays raw), empty cells are null and `source_row`
is the 1-based data line (line N of the file = row N-1). Rows with the wrong number of fields
(a truncated file, a stray delimiter) and blank lines are reported and skipped, never guessed.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from amrwatch.errors import InputError
from amrwatch.ingest.report import Issues

#: Delimiters tried on the header line, most specific first (WHONET: pipe; AMR: tab).
DELIMITERS = ("|", "\t", ";", ",")
_NON_SPACE = re.compile(rb"\S")


@dataclass
class Delimited:
    table: pa.Table  # source_row + one string column per header name
    delimiter: str
    header: list[str]
    rows_read: int  # data lines, skipped ones included


def sniff_delimiter(header_line: str) -> str:
    """The delimiter that splits the header line into the most fields (ties: DELIMITERS order)."""
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_delimited(text: str, file: str, issues: Issues, delimiter: str | None = None, *,
                   data: bytes | None = None) -> Delimited:
    """Parse delimited text; raise InputError for no header, duplicate columns or broken quoting.
    `data`, when given, is exactly `text.encode("utf-8")` (the file, when it is UTF-8)."""
    end = text.find("\n")
    first_line = (text if end < 0 else text[:end]).rstrip("\r")
    delimiter = delimiter or sniff_delimiter(first_line)
    header = [name.strip() for name in next(csv.reader([first_line], delimiter=delimiter))]
    _check_header(header, file)
    # A trailing delimiter leaves unnamed columns: name them by position so they can be reported.
    header = [name or f"column {i + 1}" for i, name in enumerate(header)]
    skipped: list[tuple[int, str, int]] = []

    def bad_row(row: pacsv.InvalidRow) -> str:
        skipped.append((row.number, row.text, row.actual_columns))
        return "skip"

    # The body is parsed from one UTF-8 copy of the text (the file itself when it is UTF-8),
    # from just after the header line, so a large file is not copied once more as a string.
    data = text.encode("utf-8") if data is None else data
    start = len(data) if end < 0 else len(text[:end].encode("utf-8")) + 1
    # Quoted line breaks (a comment typed over two lines) need the slower multi-line parser.
    multiline = data.find(b'"', start) >= 0
    if _NON_SPACE.search(data, start) is None:
        empty = pa.table({name: pa.array([], pa.string()) for name in header})
        return Delimited(_number_rows(empty, [], 0), delimiter, header, 0)
    def parse(threads: bool) -> pa.Table:
        return pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(data).slice(start)),
            read_options=pacsv.ReadOptions(column_names=header, use_threads=threads,
                                           block_size=1 << (22 if threads else 24)),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, ignore_empty_lines=False,
                                             newlines_in_values=multiline,
                                             invalid_row_handler=bad_row),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in header},
                null_values=[""], strings_can_be_null=True, quoted_strings_can_be_null=True,
            ),
        )

    # Parsed in 4 MB blocks on Arrow's threads (1 M isolates: 0.4 s instead of 1.1 s). The
    # threads do not know the line numbers of the rows they skip, nor say where a file breaks:
    # a file with such rows, or unreadable, is parsed again in one thread.
    try:
        table = parse(threads=True)
    except pa.ArrowInvalid:
        table = None
    try:
        if table is None or skipped:
            skipped.clear()
            table = parse(threads=False)
    except pa.ArrowInvalid as error:
        raise InputError(
            f"The file cannot be read as {_name(delimiter)}-delimited text: {error}",
            {"file": file, "reason": "unparseable_file"},
            hint="check that quotes are closed and the file was not cut short",
        ) from error
    rows_read = table.num_rows + len(skipped)
    table = _number_rows(table, skipped, rows_read)
    _report_skipped(skipped, len(header), issues)
    return Delimited(_strip(table), delimiter, header, rows_read)


def _check_header(header: list[str], file: str) -> None:
    duplicates = sorted(name for name, n in Counter(header).items() if n > 1 and name)
    if duplicates:
        raise InputError(
            "The header has duplicated columns, so their values are ambiguous",
            {"file": file, "reason": "duplicate_column", "columns": ", ".join(duplicates)},
            hint="rename or remove the repeated columns and export again",
        )
    if not any(header):
        raise InputError("The first line (header) is empty",
                         {"file": file, "reason": "unrecognised_header"},
                         hint="the first line must name the columns")


def _number_rows(table: pa.Table, skipped: list[tuple[int, str, int]], total: int) -> pa.Table:
    # The handler gives 1-based line numbers counting the header line we removed (= data row).
    rows = np.arange(1, total + 1, dtype=np.int64)
    if skipped:
        rows = rows[~np.isin(rows, [number for number, _, _ in skipped])]
    return table.add_column(0, "source_row", pa.array(rows))


def _report_skipped(skipped: list[tuple[int, str, int]], width: int, issues: Issues) -> None:
    for number, text, actual in skipped:
        if not text.strip(" \r\t"):
            issues.add("blank_row", row=number, message="empty line skipped")
        else:
            # The line itself is not quoted back: it may hold a name or a birth date.
            issues.add("wrong_field_count", row=number, value=f"{actual} fields",
                       message=f"{actual} fields where the header has {width}")


def _strip(table: pa.Table) -> pa.Table:
    """Trim spaces and the CR of CRLF files; an all-space cell becomes null. Only the columns
    with a cell that may start or end with whitespace are trimmed (in a CRLF file, the last)."""
    columns = [table.column(0)]
    for column in table.columns[1:]:
        if _needs_trim(column):
            trimmed = pc.utf8_trim_whitespace(column)
            column = pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)
        columns.append(column)
    return pa.table(columns, names=table.column_names)


#: Bytes that may begin (_FIRST) or end (_LAST) a whitespace character in UTF-8, as Arrow's
#: utf8_trim_whitespace (and str.strip) count it: ASCII \t \n \v \f \r, 0x1C-0x1F and space;
#: U+0085, U+00A0 (lead 0xC2), U+1680 (0xE1), U+2000-U+205F (0xE2), U+3000 (0xE3), whose last
#: bytes are 0x80-0x8A, 0x9F, 0xA0, 0xA8, 0xA9, 0xAF. A superset is harmless (a column is trimmed
#: for nothing); a miss would leave a space, so both tables err on the wide side.
_ASCII_SPACE = [0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x20]
_FIRST = np.zeros(256, bool)
_FIRST[_ASCII_SPACE + [0xC2, 0xE1, 0xE2, 0xE3]] = True
_LAST = np.zeros(256, bool)
_LAST[_ASCII_SPACE + list(range(0x80, 0x8B)) + [0x9F, 0xA0, 0xA8, 0xA9, 0xAF]] = True


def _needs_trim(column: pa.ChunkedArray) -> bool:
    """True when a non-null cell is empty or may start or end with whitespace: a look at the
    first and last byte of each cell, in place in Arrow's buffers (no string is copied)."""
    for chunk in column.chunks:
        n = len(chunk)
        if chunk.null_count == n:
            continue
        if chunk.type != pa.string():
            return True
        validity, offsets, data = chunk.buffers()
        offsets = np.frombuffer(offsets, np.int32, n + 1, chunk.offset * 4)
        first, end = offsets[:-1], offsets[1:]
        empty = end <= first
        if chunk.null_count:  # a null cell may be empty; a valid one may not
            bits = np.unpackbits(np.frombuffer(validity, np.uint8), bitorder="little")
            empty &= bits[chunk.offset:chunk.offset + n].view(bool)
        if data is None or empty.any():
            return True
        # Offsets never decrease: only leading cells end at 0 and only trailing ones start at
        # the end of the text (empty nulls). A null cell's first/last byte is some other
        # cell's (or its own stale bytes): at worst a column is trimmed for nothing.
        text = np.frombuffer(data, np.uint8)
        cells = text[first[0]:end[-1]]  # every byte of the chunk's cells, in one view
        if not len(cells) or (cells.min() > 0x20 and cells.max() < 0x80):
            continue  # no whitespace byte at all (a min/max costs a tenth of the lookups)
        heads = text[first[:np.searchsorted(first, len(text))]]
        tails = text[end[np.searchsorted(end, 0, side="right"):] - 1]
        if _suspect(heads, _FIRST) or _suspect(tails, _LAST):
            return True
    return False


def _suspect(edges: np.ndarray, table: np.ndarray) -> bool:
    # Every whitespace byte is <= 0x20 or >= 0x80: one comparison finds most columns clean.
    maybe = (edges - np.uint8(0x21)) >= np.uint8(0x5F)
    return bool(maybe.any() and table[edges[maybe]].any())


def report_unused(table: pa.Table, names: list[str], issues: Issues) -> None:
    """One `column_not_stored` warning per column that has values amrwatch will not keep."""
    for name in names:
        filled = pc.count(table.column(name)).as_py()
        if filled:
            issues.add("column_not_stored", column=name, value=f"{filled} values",
                       message=f"column {name!r} has {filled} values that are not stored")


def _name(delimiter: str) -> str:
    return {"\t": "tab", "|": "pipe", ",": "comma", ";": "semicolon"}.get(delimiter, delimiter)
