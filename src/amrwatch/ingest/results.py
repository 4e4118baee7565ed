"""Reader tests -> AST_RESULT rows of the accepted isolates: values split, drugs resolved.

Takes the reader's `tests` (schema `registry.TESTS`) and the accepted isolates; gives one
`amrwatch.schemas.AST_RESULT` row per result of an accepted isolate whose cell could be read. The
cell is split into the measurement (`<=0.25`, `06`) and the lab's category (`S`); a cell that is
neither is rejected (`unparseable_value`). Values outside the method's range and unresolved
antimicrobials are kept with a warning. All of it column-wise, no loop over results.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from amrwatch.ingest.report import Issues
from amrwatch.ingest.values import out_of_range, parse_results
from amrwatch.schemas import AST_RESULT, coded, one_array

TEXT = pa.string()


class Results(NamedTuple):
    table: pa.Table  # AST_RESULT of the accepted isolates
    of_rejected: int  # results of rejected rows
    tested: pa.Array  # per accepted isolate: has at least one AST result


@dataclass
class PreparedResults:
    """Every result of an upload read before its isolates are known: the AST_RESULT columns
    (bar isolate_id), the cell as written, and per result whether it is readable and which
    warnings it carries. Depends on no isolate, so it runs beside `build_isolates`."""

    columns: pa.Table  # AST_RESULT columns but isolate_id, + isolate_row and the written cell
    readable: np.ndarray  # bool per result: a measurement or S/I/R could be read
    out_of_range: np.ndarray  # bool per result: outside its method's range
    unknown: np.ndarray  # bool per result: antimicrobial not resolved
    uncertain: np.ndarray  # bool per result: antimicrobial resolved by a guess


def prepare_results(tests: pa.Table, lab_code: str,
                    lab_guideline: str | None = None) -> PreparedResults:
    """Split each cell into measurement and category, resolve each drug, check each value's
    range; reports nothing yet (only results of accepted isolates are reported).

    TESTS columns may be text or dictionary-encoded; the AST_RESULT columns are CODED. Every
    step works on a column's few distinct values and moves int32 indices to the results: a
    1 M-isolate WHONET file has 9.6 M results but a few hundred distinct cells.
    """
    cells = _cells(tests)
    distinct = parse_results(cells.dictionary)
    cell = cells.indices
    readable = pc.fill_null(distinct["ok"].take(cell), False).to_numpy(zero_copy_only=False)
    lab_sir = _lookup(cell, distinct["category"])
    if tests["lab_sir"].null_count < len(tests):  # FHIR, HL7 and LIS files give it apart
        lab_sir = coded(pc.coalesce(pc.utf8_upper(_text(tests["lab_sir"])), lab_sir.cast(TEXT)))
    guideline = coded(tests["guideline"]) if lab_guideline is None else _constant(
        lab_guideline, len(tests))
    ab, uncertain = _antimicrobials(tests)
    columns = pa.table({
        "lab_code": _constant(lab_code, len(tests)),
        "antimicrobial_raw": coded(tests["antimicrobial_raw"]),
        "ab": ab,
        "method": coded(tests["method"]),
        "value_raw": _lookup(cell, pc.coalesce(distinct["measurement"], distinct["category"])),
        "potency": coded(tests["potency"]),
        "lab_sir": lab_sir,
        "lab_guideline": guideline,
        "source_row": tests["source_row"],
        "source_column": coded(tests["source_column"]),
        "isolate_row": tests["isolate_row"],
        "cell": cells,
    })
    return PreparedResults(columns, readable, _out_of_range(tests, distinct["number"], cell),
                           pc.is_null(ab).to_numpy(zero_copy_only=False), uncertain)


def build_results(prepared: PreparedResults, isolates: pa.Table, issues: Issues) -> Results:
    """AST results of accepted isolates, with what the quality score needs to know of them;
    the issues of those results are reported here."""
    columns = prepared.columns
    position, of_accepted = _positions(columns["isolate_row"], isolates["source_row"])
    of_rejected = len(position) - int(of_accepted.sum())
    unreadable = pa.array(of_accepted & ~prepared.readable)
    issues.add_many("unparseable_value", columns["source_row"].filter(unreadable),
                    columns["source_column"].filter(unreadable),
                    columns["cell"].filter(unreadable),
                    "neither a measurement nor S/I/R; result rejected")
    keep = of_accepted & prepared.readable
    tested = np.zeros(isolates.num_rows, bool)
    tested[position[keep]] = True
    isolate_id = pa.DictionaryArray.from_arrays(pa.array(position[keep]),
                                                one_array(isolates["isolate_id"]))
    masks = [prepared.out_of_range, prepared.unknown, prepared.uncertain & ~prepared.unknown]
    if not keep.all():  # filtering millions of results costs time; most files keep them all
        columns = columns.filter(pa.array(keep))
        masks = [mask[keep] for mask in masks]
    outside, unknown, uncertain = (pa.array(mask) for mask in masks)
    issues.add_many("value_out_of_range", columns["source_row"].filter(outside),
                    columns["source_column"].filter(outside), columns["cell"].filter(outside),
                    "value outside the method's range; kept, check it")
    _report_columns(columns, unknown, "unknown_antimicrobial", issues)
    _report_columns(columns, uncertain, "uncertain_antimicrobial", issues)
    table = columns.drop_columns(["isolate_row", "cell"]).add_column(1, "isolate_id", isolate_id)
    return Results(table.cast(AST_RESULT), of_rejected, pa.array(tested))


def _cells(tests: pa.Table) -> pa.DictionaryArray:
    """Each result's cell as written; a category-only result (FHIR interpretation, LIS S/I/R
    column) is read from its category."""
    if tests["lab_sir"].null_count == len(tests):
        return coded(tests["value"])
    return coded(pc.coalesce(_text(tests["value"]), _text(tests["lab_sir"])))


def _text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    return column.cast(TEXT) if column.type != TEXT else column


def _lookup(index: pa.Array, values: pa.Array) -> pa.DictionaryArray:
    """values[index] as a CODED array. A null value becomes a null index, and the dictionary
    itself holds no null (its slot is left unused), so that every reader of the array (Arrow
    kernels, dictionary unification, DuckDB, PostgreSQL COPY) sees the same nulls."""
    values = one_array(values) if isinstance(values, pa.ChunkedArray) else values
    missing = pc.fill_null(pc.is_null(values).take(index), True).to_numpy(zero_copy_only=False)
    indices = pc.cast(index, pa.int32())
    if missing.any():
        indices = pa.array(pc.fill_null(indices, 0).to_numpy(), pa.int32(), mask=missing)
    return pa.DictionaryArray.from_arrays(indices, pc.fill_null(values, ""))


def _constant(value: str, size: int) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(np.zeros(size, np.int32)),
                                          pa.array([value], TEXT))


def _positions(rows: pa.ChunkedArray, accepted: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Position (int32) of each result's isolate among the accepted ones, and whether its isolate
    was accepted at all (a lookup by row number: rows are line or entry numbers of one file)."""
    accepted_rows = accepted.to_numpy()
    wanted = rows.to_numpy()
    lookup = np.full(int(max(wanted.max(initial=0), accepted_rows.max(initial=0))) + 1, -1,
                     dtype=np.int32)
    lookup[accepted_rows] = np.arange(len(accepted_rows), dtype=np.int32)
    position = lookup[wanted]
    return position, position >= 0


def _out_of_range(tests: pa.Table, number: pa.Array, cell: pa.Array) -> np.ndarray:
    """Per result, whether its value lies outside its method's range: each (method, distinct
    cell) pair is checked once; `number` is per distinct cell, `cell` each result's."""
    methods = coded(tests["method"])
    number = number.combine_chunks()
    kinds = len(methods.dictionary)
    method = methods.dictionary.take(pa.array(np.repeat(np.arange(kinds), len(number))))
    numbers = pa.concat_arrays([number] * kinds) if kinds else number.slice(0, 0)
    pairs = _pair_index(methods.indices, cell, len(number))
    return pc.fill_null(out_of_range(method, numbers).take(pairs), False).to_numpy(
        zero_copy_only=False)


def _pair_index(first: pa.Array, second: pa.Array, second_size: int) -> pa.Array:
    """first * second_size + second, in 32 bits: an index into a small first x second table."""
    size = pa.scalar(second_size, pa.int32())
    return pc.add(pc.multiply(pc.cast(first, pa.int32()), size), pc.cast(second, pa.int32()))


def _antimicrobials(tests: pa.Table) -> tuple[pa.DictionaryArray, np.ndarray]:
    """Resolve each distinct drug text once per coding (WHONET exports use WHONET codes,
    refdata trap 8) into a coding x drug table; each result gets its cell's index, and whether
    the resolution was a guess."""
    from amrwatch.codes import resolve_antimicrobials

    drugs = coded(tests["antimicrobial_raw"])
    codings = coded(tests["coding"])
    answers = [resolve_antimicrobials(drugs.dictionary, coding=coding)
               for coding in codings.dictionary.to_pylist()]
    ab = pa.chunked_array([c for a in answers for c in a["ab"].chunks], TEXT)
    uncertain = pa.chunked_array([c for a in answers for c in a["uncertain"].chunks], pa.bool_())
    cell = _pair_index(codings.indices, drugs.indices, len(drugs.dictionary))
    doubtful = pc.fill_null(uncertain.combine_chunks().take(cell), False)
    return _lookup(cell, ab.combine_chunks()), doubtful.to_numpy(zero_copy_only=False)


def _report_columns(results: pa.Table, mask: pa.Array, reason: str, issues: Issues) -> None:
    """One issue per column and drug text (a WHONET column is one drug for every row)."""
    if not pc.any(mask).as_py():
        return
    hits = results.filter(mask)
    if hits.num_rows == 0:
        return
    grouped = hits.group_by(["source_column", "antimicrobial_raw"]).aggregate(
        [("source_row", "min"), ("source_row", "count")])
    for row in grouped.to_pylist():
        issues.add(reason, row=row["source_row_min"], column=row["source_column"],
                   value=row["antimicrobial_raw"],
                   message=f"{row['source_row_count']} results from row {row['source_row_min']} on")
