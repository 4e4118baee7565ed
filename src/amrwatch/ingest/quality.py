"""The data-quality score of an upload, and the plausibility checks it counts.

Takes the accepted isolates and AST results of one upload and its issues; gives the checks'
warnings (`expected_resistance_violation`, `sir_contradicts_value`) and a score in [0, 1] with
three components (settings in data/quality.tsv, method in docs/ingest.md):

* completeness: mean share of isolates with each GLASS-required field (age, sex, specimen type,
  date, origin, organism, at least one AST result);
* plausibility: share of AST results without a plausibility warning (value outside the method's
  range, lab S/I/R contradicting its own guideline, a pair the guideline does not test,
  susceptible where the organism is intrinsically resistant: AMR 3.0.0 `intrinsic_resistant`,
  e.g. Klebsiella and ampicillin);
* timeliness: share of isolates whose specimen was taken at most `timely_days` before the upload.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from amrwatch.errors import AmrwatchError
from amrwatch.ingest.data import lookup
from amrwatch.ingest.duplicates import in_memory_duckdb
from amrwatch.ingest.normalise import UNKNOWN_ORGANISM
from amrwatch.ingest.report import Issues
from amrwatch.refdata import table as refdata_table
from amrwatch.schemas import coded

PLAUSIBILITY_REASONS = ("value_out_of_range", "expected_resistance_violation",
                        "sir_contradicts_value", "not_in_guideline")
#: Interpretation reasons (amrwatch.interpret data/reasons.yaml) meaning "the guideline does not
#: test this organism-drug pair": no breakpoint at all, or a row that blocks interpretation.
UNTESTED_REASONS = ("no_breakpoint", "blocked_by_guideline")
_SUSCEPTIBLE = ("S", "I", "SDD")


@cache
def settings() -> dict[str, float]:
    return {k: float(v) for k, v in lookup("quality.tsv", "setting", "value").items()}


def check_expected_resistance(isolates: pa.Table, ast: pa.Table, issues: Issues) -> None:
    """Warn where a lab reports S/I for a drug the organism is intrinsically resistant to."""
    reported = ast.filter(pc.is_in(ast["lab_sir"], pa.array(_SUSCEPTIBLE)))
    if reported.num_rows == 0:
        return
    con = in_memory_duckdb()
    con.register("isolates", isolates.select(["isolate_id", "mo"]))
    con.register("ast", reported.select(["isolate_id", "ab", "lab_sir", "source_row",
                                         "source_column"]))
    con.register("intrinsic", refdata_table("intrinsic_resistant"))
    hits = con.sql("""
        SELECT a.source_row, a.source_column, a.lab_sir, i.mo, a.ab FROM ast a
        JOIN isolates i USING (isolate_id)
        JOIN intrinsic r ON r.mo = i.mo AND r.ab = a.ab
        ORDER BY a.source_row
    """).to_arrow_table()
    con.close()
    if hits.num_rows:
        issues.add_many("expected_resistance_violation", hits["source_row"],
                        hits["source_column"], hits["lab_sir"],
                        "reported S/I although this organism is intrinsically resistant "
                        "(AMR intrinsic_resistant); check identification and result")


def check_against_guideline(isolates: pa.Table, ast: pa.Table, guideline: str | None,
                            issues: Issues) -> bool:
    """Interpret every measured result under the lab's own guideline (amrwatch.interpret) and warn
    where the lab's S/I/R differs (`sir_contradicts_value`) or where the guideline has no
    breakpoint for the organism and drug (`not_in_guideline`).

    Needs the lab's guideline with its year ("CLSI 2019"); returns False without one (the report
    then says the lab's categories were not checked).
    """
    if not guideline or not any(ch.isdigit() for ch in guideline):
        return False
    from amrwatch.interpret import interpret

    value = coded(ast["value_raw"])  # AST_RESULT text is dictionary-encoded: test each value once
    has_digit = pc.match_substring_regex(value.dictionary, r"\d").take(value.indices)
    measured = ast.filter(pc.fill_null(has_digit, False))
    if measured.num_rows == 0:
        return True
    ids = coded(measured["isolate_id"])
    mo = isolates["mo"].take(pc.index_in(ids.dictionary, isolates["isolate_id"]).take(ids.indices))
    method = coded(measured["method"])
    method = pa.DictionaryArray.from_arrays(method.indices, pc.if_else(
        pc.equal(method.dictionary, "GRADIENT"), "MIC", method.dictionary))
    inputs = pa.table({"organism": mo, "antimicrobial": measured["ab"], "method": method,
                       "value": measured["value_raw"], "potency": measured["potency"]})
    try:
        result = interpret(inputs, guideline=guideline)
    except AmrwatchError:
        return False  # e.g. a guideline year amrwatch has no breakpoints for
    lab_sir = measured["lab_sir"].cast(pa.string())
    differs = pc.fill_null(pc.and_(pc.is_in(result["sir"], pa.array(["S", "I", "R", "SDD"])),
                                   pc.not_equal(result["sir"].cast(pa.string()), lab_sir)), False)
    issues.add_many("sir_contradicts_value", measured["source_row"].filter(differs),
                    measured["source_column"].filter(differs),
                    pc.binary_join_element_wise(
                        measured["value_raw"].filter(differs).cast(pa.string()),
                        lab_sir.filter(differs), " "),
                    f"the lab's category differs from {guideline} for this value")
    untested = pc.is_in(result["reason"], pa.array(UNTESTED_REASONS))
    issues.add_many("not_in_guideline", measured["source_row"].filter(untested),
                    measured["source_column"].filter(untested),
                    measured["antimicrobial_raw"].filter(untested),
                    f"{guideline} has no breakpoint for this organism and antimicrobial")
    return True


def score(isolates: pa.Table, ast: pa.Table, tested: pa.Array, issues: pa.Table,
          received: dt.date, categories_checked: bool) -> dict[str, Any]:
    """{score, components{completeness, plausibility, timeliness}, fields{...}} in [0, 1];
    `tested` says which isolates have an AST result (`results.build_results` knows)."""
    n = isolates.num_rows
    if n == 0:
        return {"score": None, "components": {}, "fields": {}}
    fields = _completeness(isolates, tested)
    plausible = _plausibility(ast, issues)
    components = {
        "completeness": sum(fields.values()) / len(fields),
        "plausibility": plausible,
        "timeliness": _timeliness(isolates, received),
    }
    weights = settings()
    used = {k: v for k, v in components.items() if v is not None}
    total = sum(weights[f"weight_{k}"] for k in used)
    overall = sum(v * weights[f"weight_{k}"] for k, v in used.items()) / total
    return {"score": round(overall, 4), "components": components, "fields": fields,
            "lab_categories_checked": categories_checked}


def _share(mask: pa.Array) -> float:
    return (pc.sum(pc.cast(pc.fill_null(mask, False), pa.int64())).as_py() or 0) / len(mask)


def _completeness(isolates: pa.Table, tested: pa.Array) -> dict[str, float]:
    return {
        "age": _share(pc.is_valid(isolates["age_years"])),
        "sex": _share(pc.is_in(isolates["sex"], pa.array(["M", "F"]))),
        "specimen_type": _share(pc.is_valid(isolates["specimen_type"])),
        "specimen_date": _share(pc.is_valid(isolates["specimen_date"])),
        "origin": _share(pc.is_in(isolates["origin"], pa.array(["community", "hospital"]))),
        "organism": _share(pc.not_equal(isolates["mo"], UNKNOWN_ORGANISM)),
        "ast": _share(tested),
    }


def _plausibility(ast: pa.Table, issues: pa.Table) -> float | None:
    if ast.num_rows == 0:
        return None
    flagged = issues.filter(pc.is_in(issues["reason"], pa.array(PLAUSIBILITY_REASONS)))
    cells = pc.unique(pc.binary_join_element_wise(
        pc.cast(flagged["row"], pa.string()), flagged["column"], "\x1f"))
    return max(0.0, 1 - len(cells) / ast.num_rows)


def _timeliness(isolates: pa.Table, received: dt.date) -> float:
    delay = pc.days_between(isolates["specimen_date"], pa.scalar(received, pa.date32()))
    return _share(pc.less_equal(delay, int(settings()["timely_days"])))
