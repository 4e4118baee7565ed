"""Reader tests -> AST_RESULT rows of the accepted isolates: values split, drugs resolved.

Takes the reader's `tests` (schema `registry.TESTS`) and the accepted isolates; gives one
`amrwatch.schemas.AST_RESULT` row per result of an accepted isolate whose cell could be read. The
cell is split into the measurement (`<=0.25`, `06`) and the lab's category (`S`); a cell that is
neither is rejected (`unparseable_value`). Values outside the method's range and unresolved
antimicrobials are kept with a warning. All of it column-wise, no loop over results.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from amrwatch.ingest.report import Issues
from amrwatch.ingest.values import out_of_range, parse_results
from amrwatch.schemas import AST_RESULT


def build_results(tests: pa.Table, isolates: pa.Table, issues: Issues, lab_code: str,
                  lab_guideline: str | None = None) -> tuple[pa.Table, int]:
    """(AST results of accepted isolates, number of results of rejected rows)."""
    position, of_accepted = _positions(tests["isolate_row"], isolates["source_row"])
    of_rejected = len(tests) - int(of_accepted.sum())
    # A category-only result (FHIR interpretation, LIS S/I/R column) is read from its category.
    cells = pc.coalesce(tests["value"], tests["lab_sir"])
    # A file has a few hundred distinct cells: parse those, take the answers to every result.
    encoded = pc.dictionary_encode(cells).combine_chunks()
    parsed = parse_results(encoded.dictionary).take(encoded.indices)
    readable = pc.fill_null(parsed["ok"], False).to_numpy(zero_copy_only=False)
    unreadable = pa.array(of_accepted & ~readable)
    issues.add_many("unparseable_value", tests["source_row"].filter(unreadable),
                    tests["source_column"].filter(unreadable), cells.filter(unreadable),
                    "neither a measurement nor S/I/R; result rejected")
    keep = of_accepted & readable
    isolate_id = isolates["isolate_id"].take(pa.array(position[keep]))
    if not keep.all():  # filtering millions of results costs seconds; most files keep them all
        mask = pa.array(keep)
        tests, parsed = tests.filter(mask), parsed.filter(mask)
    _report_out_of_range(tests, parsed, issues)
    lab_sir = pc.coalesce(pc.utf8_upper(tests["lab_sir"]), parsed["category"])
    guideline = tests["guideline"] if lab_guideline is None else pa.repeat(
        pa.scalar(lab_guideline), len(tests))
    results = pa.table({
        "lab_code": pa.repeat(pa.scalar(lab_code), len(tests)),
        "isolate_id": isolate_id,
        "antimicrobial_raw": tests["antimicrobial_raw"],
        "ab": _antimicrobials(tests, issues),
        "method": tests["method"],
        "value_raw": pc.coalesce(parsed["measurement"], parsed["category"]),
        "potency": tests["potency"],
        "lab_sir": lab_sir,
        "lab_guideline": guideline,
        "source_row": tests["source_row"],
        "source_column": tests["source_column"],
    })
    return results.cast(AST_RESULT), of_rejected


def _positions(rows: pa.ChunkedArray, accepted: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Position of each result's isolate among the accepted ones (sorted by row), and whether
    its isolate was accepted at all."""
    accepted_rows = accepted.to_numpy()
    wanted = rows.to_numpy()
    position = np.searchsorted(accepted_rows, wanted)
    inside = position < len(accepted_rows)
    found = np.zeros(len(wanted), bool)
    found[inside] = accepted_rows[position[inside]] == wanted[inside]
    return position, found


def _report_out_of_range(tests: pa.Table, parsed: pa.Table, issues: Issues) -> None:
    outside = out_of_range(tests["method"], parsed["number"])
    issues.add_many("value_out_of_range", tests["source_row"].filter(outside),
                    tests["source_column"].filter(outside), tests["value"].filter(outside),
                    "value outside the method's range; kept, check it")


def _antimicrobials(tests: pa.Table, issues: Issues) -> pa.Array:
    """Resolve each (coding, drug) once; WHONET exports use WHONET codes (refdata trap 8)."""
    from amrwatch.codes import resolve_antimicrobials

    ab = pa.nulls(len(tests), pa.string())
    uncertain = pa.repeat(pa.scalar(False), len(tests))
    for coding in pc.unique(tests["coding"]).to_pylist():
        mask = pc.equal(tests["coding"], coding).combine_chunks()
        # Resolve the few distinct drug texts, then take the answers back to every result.
        encoded = pc.dictionary_encode(tests["antimicrobial_raw"].filter(mask)).combine_chunks()
        match = resolve_antimicrobials(encoded.dictionary, coding=coding)
        ab = pc.replace_with_mask(ab, mask, match["ab"].combine_chunks().take(encoded.indices))
        uncertain = pc.replace_with_mask(
            uncertain, mask, match["uncertain"].combine_chunks().take(encoded.indices))
    _report_columns(tests, pc.is_null(ab), "unknown_antimicrobial", issues)
    _report_columns(tests, pc.and_(pc.is_valid(ab), uncertain), "uncertain_antimicrobial", issues)
    return ab


def _report_columns(tests: pa.Table, mask: pa.Array, reason: str, issues: Issues) -> None:
    """One issue per column and drug text (a WHONET column is one drug for every row)."""
    hits = tests.filter(mask)
    if hits.num_rows == 0:
        return
    grouped = hits.group_by(["source_column", "antimicrobial_raw"]).aggregate(
        [("source_row", "min"), ("source_row", "count")])
    for row in grouped.to_pylist():
        issues.add(reason, row=row["source_row_min"], column=row["source_column"],
                   value=row["antimicrobial_raw"],
                   message=f"{row['source_row_count']} results from row {row['source_row_min']} on")
