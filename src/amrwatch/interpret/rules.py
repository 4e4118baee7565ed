"""Expert rules (data/expert_rules.yaml): one isolate's results changing its other results.

Takes the interpreted table and the run; gives the same table in which the results named by each
enabled rule are set to the rule's category with reason `expert_rule` and the rule as provenance
in `breakpoint_id`. Rules need an `isolate_id` column (plus `lab_code` when present); without one
the table is returned unchanged. Each rule is one DuckDB query over the whole table.
"""

from __future__ import annotations

from functools import cache

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from amrwatch.interpret.data import read_yaml
from amrwatch.interpret.organisms import resolve, resolve_antimicrobials
from amrwatch.refdata import table as refdata_table
from amrwatch.schemas import INTERPRETATION

#: results an expert rule never touches: nothing was measured, or nothing is known about them.
_UNTOUCHED = ("missing_value", "unresolved_organism", "unresolved_antimicrobial", "unknown_method")


def rule_catalogue() -> dict[str, dict]:
    return read_yaml("expert_rules.yaml")["rules"]


@cache
def _groups() -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for row in refdata_table("antimicrobial_groups_internal").to_pylist():
        groups.setdefault(row["group"], []).append(row["ab"])
    return groups


def expand(codes: list[str]) -> list[str]:
    """Drug codes, with AMR group names (AB_...) replaced by their members."""
    groups = _groups()
    return sorted({ab for code in codes for ab in groups.get(code, [code])})


def apply_expert_rules(result: pa.Table, run) -> pa.Table:
    if "isolate_id" not in result.column_names:
        return result
    catalogue = rule_catalogue()
    con = _connection(result, run)
    for code in run.settings["expert_rules"]:
        rows = con.sql(_rule_sql(code, catalogue[code], result.column_names)).fetchnumpy()["row"]
        result = _set(result, rows, catalogue[code]["set"], f"expert-rule/{code}")
    return result


def _connection(result: pa.Table, run) -> duckdb.DuckDBPyConnection:
    organisms = pc.unique(result["organism"].cast(pa.string()).combine_chunks())
    drugs = pc.unique(result["antimicrobial"].cast(pa.string()).combine_chunks())
    org_map = pa.table({"text": organisms, "mo": resolve(organisms)})
    con = duckdb.connect()
    con.register("orgmap", org_map)
    con.register("abmap", pa.table({"text": drugs, "ab": resolve_antimicrobials(
        drugs, run.settings["antimicrobial_coding"])}))
    con.register("keys", run.source.candidate_keys(org_map))
    con.register("results", result.append_column("row", pa.array(np.arange(result.num_rows))))
    return con


def _condition(term: dict, columns: list[str]) -> str:
    if "antimicrobial" in term:
        drugs = ", ".join(f"'{d}'" for d in term["antimicrobial"])
        cats = ", ".join(f"'{c}'" for c in term["sir"])
        return f"bool_or(m.ab IN ({drugs}) AND m.sir IN ({cats}))"
    column = next((c for c in columns if c.lower() == term["column"]), None)
    if column is None:
        return "FALSE"
    words = ", ".join("'" + w.replace("'", "''").lower() + "'" for w in term["in"])
    return f'bool_or(lower(trim(CAST(m."{column}" AS VARCHAR))) IN ({words}))'


def _rule_sql(code: str, rule: dict, columns: list[str]) -> str:
    isolate = ", ".join(f'm."{c}"' for c in ("lab_code", "isolate_id") if c in columns)
    terms = rule.get("when_all") or rule.get("when_any") or []
    joiner = " AND " if "when_all" in rule else " OR "
    having = joiner.join(_condition(t, columns) for t in terms)
    organisms = ", ".join(f"'{o}'" for o in rule["organisms"])
    affected = set(expand(rule["affected"])) - set(expand(rule["except"]))
    drugs = ", ".join(f"'{d}'" for d in sorted(affected)) or "NULL"
    untouched = ", ".join(f"'{r}'" for r in _UNTOUCHED)
    return f"""
    WITH m AS (SELECT r.*, o.mo, a.ab FROM results r
               LEFT JOIN orgmap o ON o.text = CAST(r.organism AS VARCHAR)
               LEFT JOIN abmap a ON a.text = CAST(r.antimicrobial AS VARCHAR)),
    isolates AS (
      SELECT {isolate}, m.mo FROM m
      WHERE m.mo IN (SELECT mo FROM keys WHERE key IN ({organisms}))
      GROUP BY ALL HAVING {having})
    SELECT m.row FROM m JOIN isolates i USING ({isolate.replace('m.', '')}, mo)
    WHERE m.ab IN ({drugs}) AND m.reason NOT IN ({untouched})
      AND m.sir IS DISTINCT FROM '{rule['set']}'
    ORDER BY m.row"""


def _set(result: pa.Table, rows: np.ndarray, category: str, rule_id: str) -> pa.Table:
    if len(rows) == 0:
        return result
    mask = np.zeros(result.num_rows, dtype=bool)
    mask[rows] = True
    hit = pa.array(mask)
    for name, value in (("sir", category), ("reason", "expert_rule"), ("breakpoint_id", rule_id)):
        text = result[name].combine_chunks().cast(pa.string())
        column = pc.if_else(hit, pa.scalar(value, pa.string()), text).dictionary_encode()
        result = result.set_column(result.column_names.index(name), INTERPRETATION.field(name),
                                   column)
    return result
