"""A realistic AST workload for `amrwatch bench interpret`: many organism/drug pairs, raw strings.

Takes a row count and a seed; gives an AST_INPUT-shaped Arrow table drawn from the EUCAST 2025 and
CLSI 2025 human breakpoint rows of the bundled AMR table: at least 200 organism/antimicrobial
pairs, MIC and disk, values around each pair's breakpoints, about one value in six capped
("<=0.25", ">8", "≥16"), and a few empty or unreadable values, as lab exports have.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa

from amrwatch.refdata import table as refdata_table

_OPERATORS = np.array(["", "", "", "", "", "", "", "", "", "<=", ">", "≥", "<", ">="], dtype=object)


def pairs(minimum: int = 200) -> pa.Table:
    """Organism/antimicrobial/method rows with their S breakpoint, species-level first."""
    con = duckdb.connect()
    con.register("bp", refdata_table("clinical_breakpoints"))
    rows = con.sql("""
        SELECT DISTINCT mo AS organism, ab AS antimicrobial, method,
               first(breakpoint_S) OVER (PARTITION BY mo, ab, method) AS s
        FROM bp WHERE guideline IN ('EUCAST 2025', 'CLSI 2025') AND type = 'human'
          AND rank_index <= 2 ORDER BY organism, antimicrobial, method""").to_arrow_table()
    if rows.num_rows < minimum:
        raise RuntimeError(f"only {rows.num_rows} organism/drug pairs in the breakpoint table")
    return rows


def workload(rows: int, seed: int = 2026) -> pa.Table:
    """`rows` AST rows with raw value strings (see module docstring)."""
    rng = np.random.default_rng(seed)
    catalogue = pairs()
    pick = rng.integers(0, catalogue.num_rows, rows)
    method = catalogue.column("method").to_numpy(zero_copy_only=False)[pick]
    s = catalogue.column("s").to_numpy(zero_copy_only=False)[pick]
    is_mic = method == "MIC"
    steps = rng.integers(-3, 4, rows)
    mic = np.round(np.where(is_mic, s, 1.0) * np.exp2(steps), 4)
    zone = np.clip(np.where(is_mic, 20, s) + steps * 2, 6, 50)
    number = np.where(is_mic, mic, zone)
    text = np.char.mod("%g", number).astype(object)
    operator = np.where(is_mic, _OPERATORS[rng.integers(0, len(_OPERATORS), rows)], "")
    value = operator + text
    odd = rng.random(rows) < 0.002
    value[odd] = rng.choice(np.array(["", "n/a", "see comment", "1,5"], dtype=object), odd.sum())
    return pa.table({
        "organism": catalogue.column("organism").take(pick),
        "antimicrobial": catalogue.column("antimicrobial").take(pick),
        "method": pa.array(method),
        "value": pa.array(value, type=pa.string()),
    })
