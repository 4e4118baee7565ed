"""Exact repeats of a row within one upload: fields and the multiset of results both equal."""

from __future__ import annotations

import pyarrow as pa

from amrwatch.ingest.duplicates import duplicate_rows
from amrwatch.ingest.registry import TESTS, RawUpload
from amrwatch.ingest.report import Issues


def _upload(fields: list[dict], tests: list[tuple]) -> RawUpload:
    table = pa.Table.from_pylist(fields, pa.schema([("source_row", pa.int64()),
                                                    ("patient_id", pa.string()),
                                                    ("organism", pa.string())]))
    rows = [dict(zip(["isolate_row", "source_column", "value"], t, strict=True)) for t in tests]
    full = [{name: row.get(name) for name in TESTS.names} | {"source_row": row["isolate_row"]}
            for row in rows]
    return RawUpload(reader="test", fields=table, tests=pa.Table.from_pylist(full, TESTS),
                     rows_read=len(fields))


def test_only_exact_repeats_of_fields_and_results_are_rejected():
    fields = [{"source_row": r, "patient_id": p, "organism": o} for r, p, o in [
        (1, "P1", "eco"), (2, "P1", "eco"),  # equal, results equal in another order
        (3, "P2", "kpn"), (4, "P2", "kpn"),  # equal fields, one result differs
        (5, "P3", "sau"), (6, "P3", "sau"),  # equal fields, one extra result
        (7, None, "pae"), (8, None, "pae"),  # equal with an empty field, no results
        (9, "P1", "eco"),  # equal to row 1 again
        (10, "P4", "aba"), (11, "P4", "aba"),  # a null value equals a null value
    ]]
    tests = [(1, "AMP", "6"), (1, "CIP", "S"), (2, "CIP", "S"), (2, "AMP", "6"),
             (3, "AMP", "6"), (4, "AMP", "7"),
             (5, "AMP", "6"), (6, "AMP", "6"), (6, "AMP", "6"),
             (9, "AMP", "6"), (9, "CIP", "S"),
             (10, "AMP", None), (11, "AMP", None)]
    issues = Issues("f.txt")
    repeat = duplicate_rows(_upload(fields, tests), issues).to_pylist()
    assert [row for row, r in zip(range(1, 12), repeat, strict=True) if r] == [2, 8, 9, 11]
    reported = issues.table().to_pylist()
    assert [(i["reason"], i["row"], i["value"]) for i in reported] == [
        ("duplicate_row", 2, "1"), ("duplicate_row", 8, "7"), ("duplicate_row", 9, "1"),
        ("duplicate_row", 11, "10")]


def test_no_repeats_means_no_issue():
    fields = [{"source_row": r, "patient_id": f"P{r}", "organism": "eco"} for r in range(1, 5)]
    issues = Issues("f.txt")
    assert not any(duplicate_rows(_upload(fields, [(1, "AMP", "6")]), issues).to_pylist())
    assert issues.table().num_rows == 0
