"""The delimited and WHONET readers' fast paths give the same tables as the plain reading.

WHONET result columns are melted with the per-column texts dictionary-encoded; cells are trimmed
(spaces, the CR of CRLF files) only in the columns that need it. These tests pin the outcomes
against a reading of the same text with the csv module.
"""

from __future__ import annotations

import csv
import io

import pyarrow as pa
import pytest

from amrwatch.ingest.delimited import read_delimited
from amrwatch.ingest.registry import ReadOptions, reader
from amrwatch.ingest.report import Issues
from amrwatch.ingest.whonet import result_column

HEADER = "PATIENT_ID|SEX|AGE|SPEC_NUM|SPEC_DATE|SPEC_TYPE|ORGANISM|AMP_ND10|CIP_NM|SXT_ND1_2|PEN_NE"
ROWS = [
    "P1|m|34|S1|2/1/2024|bl|eco|06|<=0.25|S|R",
    " P2 | f |  6m |S2 | 13/1/2024 |ur | kpn |  12 |   | 0.5 S|",
    "P3|f|NB|S3|14/1/2024|ur|kpn| |  |   |\t",
    "P4|m|\u00a095 years\u00a0|S4|15/1/2024|bl|sau|22|1|2|3",
    "P5|x|abc|S5|16/1/2024|bl|sau|22|1||2 ",
]


def _expected(text: str) -> list[dict[str, str | None]]:
    """Each cell as str.strip() leaves it (Python's whitespace = Arrow's), empty = null."""
    lines = csv.reader(io.StringIO(text, newline=""), delimiter="|")
    header = next(lines)
    return [{name: (cell.strip() or None) for name, cell in zip(header, line, strict=True)}
            for line in lines]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_cells_are_trimmed_as_before_in_lf_and_crlf_files(newline):
    text = newline.join([HEADER, *ROWS]) + newline
    parsed = read_delimited(text, "f.txt", Issues("f.txt"))
    got = parsed.table.drop_columns(["source_row"]).to_pylist()
    assert got == _expected(text)
    assert parsed.table["source_row"].to_pylist() == list(range(1, len(ROWS) + 1))


def test_untrimmed_file_is_read_unchanged():
    text = (f"{HEADER}\nP1|m|34|S1|2/1/2024|bl|eco|06|<=0.25|S|R\n"
            "P2|f|3|S2|2/1/2024|bl|E. coli|7||I|\n")
    got = read_delimited(text, "f.txt", Issues("f.txt")).table.drop_columns(["source_row"])
    assert got.to_pylist() == _expected(text)


def test_whonet_tests_columns_are_dictionary_encoded_with_the_same_texts():
    text = "\r\n".join([HEADER, *ROWS]) + "\r\n"
    upload = reader("whonet").read(text.encode(), ReadOptions(file="f.txt"), Issues("f.txt"))
    tests = upload.tests
    for name in ("source_column", "antimicrobial_raw", "coding", "method", "potency",
                 "guideline"):
        assert tests.schema.field(name).type == pa.dictionary(pa.int32(), pa.string()), name
    got = tests.cast(pa.schema([f.with_type(pa.string()) if pa.types.is_dictionary(f.type)
                                else f for f in tests.schema])).to_pylist()
    expected = []
    for row_number, row in enumerate(_expected(text), start=1):
        for column in ("AMP_ND10", "CIP_NM", "SXT_ND1_2", "PEN_NE"):
            if row[column] is None:
                continue
            test = result_column(column)
            expected.append({
                "isolate_row": row_number, "source_row": row_number, "source_column": column,
                "antimicrobial_raw": test["drug"], "coding": "whonet", "method": test["method"],
                "potency": test["potency"], "guideline": test["guideline"],
                "value": row[column], "lab_sir": None})
    def key(result):
        return result["source_row"], result["source_column"]

    assert sorted(got, key=key) == sorted(expected, key=key)


@pytest.mark.parametrize("space", [chr(c) for c in range(0x3001) if chr(c).isspace()
                                   and chr(c) not in "\n\r"])
def test_every_kind_of_whitespace_is_trimmed_at_either_end(space):
    text = "\n".join(["A|B|C", f"{space}x|y{space}|{space}", "é|ü|z"]) + "\n"
    got = read_delimited(text, "f.txt", Issues("f.txt")).table.drop_columns(["source_row"])
    assert got.to_pylist() == _expected(text)


def test_a_large_file_reports_skipped_rows_at_their_line():
    """Large files are parsed on several threads, which do not number the rows they skip: the
    numbers must still be the data lines'."""
    lines = [f"P{i}|m|3|S{i}|2/1/2024|bl|eco|6|1|S|R" for i in range(1, 300_001)]
    lines[249_999] = "P250000|m|3"  # data line 250000 is cut short
    text = "\n".join([HEADER, *lines]) + "\n"
    issues = Issues("f.txt")
    parsed = read_delimited(text, "f.txt", issues)
    assert parsed.rows_read == 300_000
    rows = parsed.table["source_row"].to_numpy()
    assert len(rows) == 299_999 and 250_000 not in rows
    assert parsed.table["PATIENT_ID"][249_999].as_py() == "P250001"
    assert rows[249_999] == 250_001
    found = [(i["reason"], i["row"]) for i in issues.table().to_pylist()]
    assert found == [("wrong_field_count", 250_000)]
