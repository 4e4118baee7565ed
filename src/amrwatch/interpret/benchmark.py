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
    """`rows` AST rows with raw value strings (see module docstring), built from small integer
    draws and dictionaries so that a 10-million-row table costs little memory to make."""
    rng = np.random.default_rng(seed)
    catalogue = pairs()
    n_pairs = catalogue.num_rows
    is_mic = np.array(catalogue.column("method").to_pylist()) == "MIC"
    s = np.array(catalogue.column("s").to_pylist(), dtype=float)
    # every (pair, dilution step -3..3, operator) text once: ~100,000 distinct strings
    steps = np.arange(-3, 4)
    texts: list[str] = []
    for p in range(n_pairs):
        for step in steps:
            number = f"{round(s[p] * 2.0 ** step, 4):g}" if is_mic[p] \
                else f"{int(np.clip(s[p] + 2 * step, 6, 50))}"
            texts.extend((op + number) if is_mic[p] else number for op in _OPERATORS)
    texts.extend(["", "n/a", "see comment", "1,5"])
    per_pair = len(steps) * len(_OPERATORS)
    pick = rng.integers(0, n_pairs, rows)
    value = (pick * per_pair + rng.integers(0, len(steps), rows) * len(_OPERATORS)
             + rng.integers(0, len(_OPERATORS), rows))
    odd = rng.random(rows) < 0.002
    value[odd] = len(texts) - 1 - rng.integers(0, 4, odd.sum())
    return pa.table({
        "organism": catalogue.column("organism").take(pick),
        "antimicrobial": catalogue.column("antimicrobial").take(pick),
        "method": catalogue.column("method").take(pick),
        "value": pa.DictionaryArray.from_arrays(pa.array(value.astype(np.int32)),
                                                pa.array(texts)).cast(pa.string()),
    })
