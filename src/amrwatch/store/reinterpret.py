"""(Re)interpretation of stored AST results under one guideline version and policy.

Two ways through the interpretation engine, chosen by the policy (interpret/data/policies.yaml):
- a policy with expert rules reads across the results of one isolate, so AST rows go to the engine
  with their isolate, in batches that never split an isolate;
- otherwise each result depends only on (organism, antimicrobial, method, value, potency, uti):
  those distinct combinations, far fewer than AST rows (docs/design.md, "Interpretation as a
  relational join"), are interpreted once and joined back to every AST row in SQL.
New rows are written first, then this guideline+policy's older rows (in scope) are deleted, all
in one transaction; other guideline versions and policies stay untouched.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa

from amrwatch.store.backend import Backend

ISOLATES_PER_BATCH = 50_000
COMBINATIONS_PER_BATCH = 250_000

# `uti`: a result from a GLASS URINE specimen is read with the urinary-tract breakpoints where the
# guideline has them (AMR as.sir(uti = TRUE), shared/specs/amr-as-sir-behaviour.md).
UTI = "coalesce(i.specimen_type = 'URINE', false)"
# An AST result (ast_entry a) links an isolate to one of its upload's readings (ast_reading rd:
# drug, method, potency, value as written; migration 0004).
FROM = ("FROM ast_entry a JOIN ast_reading rd ON rd.reading_key = a.reading_key "
        "JOIN isolate i ON i.isolate_key = a.isolate_key")
INPUT = (f"i.mo AS organism, rd.ab AS antimicrobial, rd.method, rd.value_raw AS value, "
         f"rd.potency, {UTI} AS uti")

# chr(30) (record separator) stands for NULL so that the join back is a hash join on
# PostgreSQL, which cannot hash IS NOT DISTINCT FROM; it never occurs in a lab's codes or values.
KEYS = {"organism": "i.mo", "antimicrobial": "rd.ab", "method": "rd.method",
        "value": "rd.value_raw", "potency": "rd.potency"}
MATCH = " AND ".join(f"coalesce(r.{key}, chr(30)) = coalesce({column}, chr(30))"
                     for key, column in KEYS.items()) + f" AND r.uti = {UTI}"


def needs_isolates(policy: str) -> bool:
    """Whether `policy` applies expert rules, which look across one isolate's results."""
    from amrwatch.interpret.policy import policies

    return bool(policies().get(policy, {}).get("expert_rules"))


def run(backend: Backend, guideline: str, policy: str, upload_id: int | None,
        computed_at: datetime) -> dict[str, Any]:
    """Interpret and store; call inside a transaction. Gives the guideline label and counts."""
    scope, params = ("WHERE a.upload_id = ?", [upload_id]) if upload_id is not None else ("", [])
    per_isolate = needs_isolates(policy)
    if per_isolate:
        label, written, inputs = _by_isolate(backend, guideline, policy, scope, params,
                                             computed_at)
    else:
        label, written, inputs = _by_combination(backend, guideline, policy, scope, params,
                                                 computed_at)
    backend.execute(
        "DELETE FROM interpretation WHERE guideline = ? AND policy = ? AND computed_at <> ?"
        + ("" if upload_id is None else
           " AND ast_id IN (SELECT a.ast_id FROM ast_entry a WHERE a.upload_id = ?)"),
        [label, policy, computed_at, *params])
    return {"guideline": label, "policy": policy, "interpretations": written,
            "engine_rows": inputs, "per_isolate": per_isolate}


def _interpret(rows: pa.Table, guideline: str, policy: str) -> pa.Table:
    from amrwatch.interpret import interpret

    return interpret(rows, guideline=guideline, policy=policy)


def _label(result: pa.Table, default: str) -> str:
    """The guideline as the engine names it ("eucast 2025" -> "EUCAST 2025")."""
    return result["guideline"][0].as_py() if result.num_rows else default


def _by_isolate(backend: Backend, guideline: str, policy: str, scope: str, params: list,
                computed_at: datetime) -> tuple[str, int, int]:
    keys = backend.query(f"SELECT DISTINCT a.isolate_key FROM ast_entry a {scope}", params)
    batch = np.arange(keys.num_rows, dtype=np.int64) // ISOLATES_PER_BATCH
    backend.stage("isolate_batch", keys.append_column("batch", pa.array(batch)))
    label, written = guideline, 0
    for number in range(int(batch[-1]) + 1 if keys.num_rows else 0):
        rows = backend.query(
            f"SELECT a.ast_id, CAST(a.isolate_key AS VARCHAR) AS isolate_id, {INPUT} {FROM} "
            "JOIN isolate_batch b ON b.isolate_key = a.isolate_key "
            "WHERE b.batch = ?", [number])
        result = _interpret(rows, guideline, policy)
        label = _label(result, label)
        n = result.num_rows
        backend.append("interpretation", pa.table({
            "ast_id": result["ast_id"],
            "guideline": pa.repeat(pa.scalar(label), n), "policy": pa.repeat(pa.scalar(policy), n),
            "sir": result["sir"], "reason": result["reason"],
            "breakpoint_id": result["breakpoint_id"],
            "computed_at": pa.repeat(pa.scalar(computed_at, pa.timestamp("us", "UTC")), n)}))
        written += n
    return label, written, written


def _by_combination(backend: Backend, guideline: str, policy: str, scope: str, params: list,
                    computed_at: datetime) -> tuple[str, int, int]:
    combinations = backend.query(f"SELECT DISTINCT {INPUT} {FROM} {scope}", params)
    parts = [_interpret(pa.Table.from_batches([batch]), guideline, policy)
             for batch in combinations.to_batches(max_chunksize=COMBINATIONS_PER_BATCH)]
    if not parts:
        return guideline, 0, 0
    result = pa.concat_tables(parts)
    label = _label(result, guideline)
    backend.stage("interpreted", result.select([*KEYS, "uti", "sir", "reason", "breakpoint_id"]))
    written = backend.insert(
        "INSERT INTO interpretation (ast_id, guideline, policy, sir, reason, breakpoint_id, "
        f"computed_at) SELECT a.ast_id, ?, ?, r.sir, r.reason, r.breakpoint_id, ? {FROM} "
        f"JOIN interpreted r ON {MATCH} {scope}", [label, policy, computed_at, *params])
    return label, written, combinations.num_rows
