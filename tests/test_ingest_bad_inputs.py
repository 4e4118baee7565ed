"""The bad-input corpus (tests/fixtures/bad_inputs): every file has one asserted outcome.

A file the reader cannot use at all raises InputError with a reason code of the closed set; any
other file yields exactly the accepted rows and results listed here, and the issues that explain
each rejected row or result. (The store test below checks that nothing else reaches the store.)
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.compute as pc
import pytest

from amrwatch.errors import InputError
from amrwatch.ingest import read_upload
from amrwatch.ingest.report import reasons

CORPUS = Path(__file__).parent / "fixtures" / "bad_inputs"
KEY = b"0123456789abcdef0123456789abcdef"

#: file -> reason of the InputError that rejects the whole file
REJECTED_FILES = {
    "empty.txt": "empty_file",
    "binary.png": "not_text",
    "header_only.txt": "no_data_rows",
    "duplicate_columns.txt": "duplicate_column",
    # a FHIR Bundle whose valueQuantity.value is text: fails R4 validation
    "broken_bundle.json": "unparseable_file",
}

#: file -> (isolates accepted, results accepted, {(reason, row, column)} that must be reported)
READ_FILES = {
    # last line cut in the middle of its organism code: that row alone is rejected
    "truncated.txt": (3, 8, {("wrong_field_count", 4, None)}),
    # header split by pipes, rows by tabs: no row can be read, all rejected
    "wrong_delimiter.txt": (0, 0, {("wrong_field_count", r, None) for r in (1, 2, 3)}),
    "latin1.txt": (3, 8, {("encoding_converted", None, None)}),
    "utf16.txt": (3, 8, {("encoding_converted", None, None)}),
    "utf8_bom.csv": (3, 8, set()),
    "unknown_codes.txt": (3, 9, {("not_an_isolate", 4, "ORGANISM"),
                                 ("unknown_code", 1, "SEX"), ("unknown_code", 1, "SPEC_TYPE"),
                                 ("unknown_organism", 2, "ORGANISM"),
                                 ("unknown_antimicrobial", 1, "QQQ_ND10")}),
    "impossible_values.txt": (2, 4, {
        ("impossible_date", 1, "SPEC_DATE"), ("date_in_future", 2, "SPEC_DATE"),
        ("unparseable_date", 3, "SPEC_DATE"), ("implausible_age", 4, "AGE"),
        ("value_out_of_range", 4, "AMP_ND10"), ("unparseable_value", 4, "CIP_NM"),
        ("unparseable_value", 4, "SXT_ND1_2"), ("missing_required", 5, "SPEC_DATE"),
        ("missing_required", 6, "ORGANISM"), ("duplicate_row", 8, None)}),
    "with_names.txt": (3, 7, {("identifier_removed", None, c)
                              for c in ("FIRST_NAME", "LAST_NAME", "DATE_BIRTH", "COMMENT")}),
}


def test_corpus_is_fully_covered():
    assert {p.name for p in CORPUS.iterdir()} == set(REJECTED_FILES) | set(READ_FILES)


@pytest.mark.parametrize("name", sorted(REJECTED_FILES))
def test_unusable_files_are_rejected_with_a_reason(name):
    with pytest.raises(InputError) as caught:
        read_upload(CORPUS / name, lab="TST", country="ARG", key=KEY)
    assert caught.value.context["reason"] == REJECTED_FILES[name]
    assert caught.value.context["reason"] in reasons()
    assert caught.value.context["file"] == name


@pytest.mark.parametrize("name", sorted(READ_FILES))
def test_files_yield_exactly_their_accepted_rows(name):
    isolates, results, expected = READ_FILES[name]
    result = read_upload(CORPUS / name, lab="TST", country="ARG", key=KEY)
    assert result.isolates.num_rows == isolates
    assert result.ast_results.num_rows == results
    found = {(r["reason"], r["row"], r["column"]) for r in result.issues.to_pylist()}
    assert expected <= found
    assert set(result.issues["reason"].to_pylist()) <= set(reasons())
    # every error sits on a row that is not accepted, or on a result that is not stored
    errors = result.issues.filter(pc.equal(result.issues["severity"], "error")).to_pylist()
    accepted_rows = set(result.isolates["source_row"].to_pylist())
    stored = {(r["source_row"], r["source_column"]) for r in result.ast_results.to_pylist()}
    for error in errors:
        if reasons()[error["reason"]]["level"] == "row":
            assert error["row"] not in accepted_rows
        else:
            assert (error["row"], error["column"]) not in stored


def test_encodings_decode_accents():
    for name in ("latin1.txt", "utf16.txt"):
        result = read_upload(CORPUS / name, lab="TST", country="ARG", key=KEY)
        assert "Pediatría" in result.isolates["ward_type"].to_pylist()


def test_impossible_values_details():
    result = read_upload(CORPUS / "impossible_values.txt", lab="TST", country="ARG", key=KEY)
    rows = {r["source_row"]: r for r in result.isolates.to_pylist()}
    assert set(rows) == {4, 7}
    assert rows[4]["age_years"] is None  # 150 years is stored as unknown
    kept = {(r["source_row"], r["source_column"]): r["value_raw"]
            for r in result.ast_results.to_pylist()}
    assert kept[(4, "AMP_ND10")] == "95"  # out of range: kept and flagged
    assert (4, "CIP_NM") not in kept and (4, "SXT_ND1_2") not in kept


def test_date_order_setting_wins_and_conflicts_are_row_errors():
    """With --date-order mdy, 14/3/2024 has month 14: that row is rejected, not swapped."""
    result = read_upload(CORPUS / "truncated.txt", lab="TST", country="ARG", key=KEY,
                         date_order="mdy")
    conflicts = result.issues.filter(pc.equal(result.issues["reason"], "date_order_conflict"))
    assert sorted(conflicts["row"].to_pylist()) == [1, 3]
    assert result.isolates["source_row"].to_pylist() == [2]
    assert str(result.isolates["specimen_date"][0]) == "2024-02-04"


def test_trailing_delimiter_and_quoted_line_breaks():
    """WHONET exports may end each line with a delimiter; a comment may span two lines."""
    pipe = ("SPEC_NUM|SPEC_DATE|ORGANISM|CIP_NM||\nS1|2024-03-14|eco|1||\n"
            'S2|2024-03-15|"kpn"|"0,5"||\n')
    result = read_upload("pipe.txt", content=pipe.encode(), lab="TST", country="ARG", key=KEY)
    assert result.ast_results["value_raw"].to_pylist() == ["1", "0.5"]
    quoted = ('SPEC_NUM,SPEC_DATE,ORGANISM,CIP_NM,COMMENT\nS1,2024-03-14,eco,1,"line one\n'
              'line two"\nS2,2024-03-15,kpn,2,\nS3,2024-03-15,kpn\n')
    result = read_upload("quoted.csv", content=quoted.encode(), lab="TST", country="ARG", key=KEY)
    assert result.isolates["source_row"].to_pylist() == [1, 2]
    assert ("wrong_field_count", 3) in {(r["reason"], r["row"]) for r in result.issues.to_pylist()}
