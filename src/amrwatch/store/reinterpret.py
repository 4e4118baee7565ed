"""(Re)interpretation of stored AST results under one guideline version and policy.

Distinct (organism, antimicrobial, method, value, potency, uti) combinations are far fewer than
AST rows (docs/design.md, "Interpretation as a relational join"): the store reads them, the
interpretation engine categorises them in batches, and one INSERT … SELECT joins the categories
back to every AST result. Rows of other guideline versions or policies are left untouched.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pyarrow as pa

from amrwatch.store.backend import Backend

BATCH_ROWS = 250_000

# `uti`: a result from a GLASS URINE specimen is read with the urinary-tract breakpoints where the
# guideline has them (AMR as.sir(uti = TRUE) behaviour, shared/specs/amr-as-sir-behaviour.md).
UTI = "coalesce(i.specimen_type = 'URINE', false)"
JOIN_ISOLATE = "JOIN isolate i ON i.lab_code = a.lab_code AND i.isolate_id = a.isolate_id"

DISTINCT_INPUT = f"""
SELECT DISTINCT i.mo AS organism, a.ab AS antimicrobial, a.method, a.value_raw AS value,
       a.potency, {UTI} AS uti
FROM ast_result a {JOIN_ISOLATE}
"""

# chr(30) (record separator) stands for NULL so that the join can be a hash join on PostgreSQL,
# which cannot hash IS NOT DISTINCT FROM; it never occurs in a lab's codes or values.
KEYS = ("organism", "antimicrobial", "method", "value", "potency")
SOURCE = {"organism": "i.mo", "antimicrobial": "a.ab", "method": "a.method",
          "value": "a.value_raw", "potency": "a.potency"}
MATCH = " AND ".join(f"coalesce(r.{key}, chr(30)) = coalesce({SOURCE[key]}, chr(30))"
                     for key in KEYS) + f" AND r.uti = {UTI}"


def distinct_inputs(backend: Backend, upload_id: int | None) -> pa.Table:
    """The AST_INPUT combinations to interpret (all uploads, or one)."""
    if upload_id is None:
        return backend.query(DISTINCT_INPUT)
    return backend.query(DISTINCT_INPUT + " WHERE a.upload_id = ?", [upload_id])


def categorise(inputs: pa.Table, guideline: str, policy: str) -> pa.Table:
    """Run the interpretation engine over `inputs` in batches; keys plus its result columns."""
    from amrwatch.interpret import interpret

    parts = []
    for batch in inputs.to_batches(max_chunksize=BATCH_ROWS):
        result = interpret(pa.Table.from_batches([batch]), guideline=guideline, policy=policy)
        parts.append(pa.table({name: result[name] for name in (*KEYS, "uti")} | {
            name: result[name] for name in ("sir", "reason", "breakpoint_id", "guideline")}))
    return pa.concat_tables(parts) if parts else pa.table({})


def store_categories(backend: Backend, categories: pa.Table, guideline: str, policy: str,
                     computed_at: datetime, upload_id: int | None) -> int:
    """Replace this guideline+policy's rows (of one upload, or all) by `categories`; row count."""
    only = "" if upload_id is None else " AND a.upload_id = ?"
    scope: list[Any] = [] if upload_id is None else [upload_id]
    backend.execute(
        "DELETE FROM interpretation WHERE guideline = ? AND policy = ?" + (
            "" if upload_id is None else
            " AND ast_id IN (SELECT a.ast_id FROM ast_result a WHERE a.upload_id = ?)"),
        [guideline, policy, *scope])
    backend.stage("interpreted", categories.drop_columns(["guideline"]))
    return backend.insert(
        "INSERT INTO interpretation (ast_id, guideline, policy, sir, reason, breakpoint_id, "
        "computed_at) SELECT a.ast_id, ?, ?, r.sir, r.reason, r.breakpoint_id, ? "
        f"FROM ast_result a {JOIN_ISOLATE} JOIN interpreted r ON {MATCH} WHERE true{only}",
        [guideline, policy, computed_at, *scope])
