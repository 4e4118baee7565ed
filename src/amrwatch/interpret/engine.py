"""`interpret()`: AST rows in, the same rows out with sir, reason, breakpoint_id and guideline.

Takes an Arrow table (or pandas / polars frame) with the AST_INPUT columns; gives the input
columns unchanged and in order, plus the INTERPRETATION columns (schemas.py). Work is per batch
of rows: every input column is dictionary-encoded, the codes are folded into one integer key per
row, only the DISTINCT combinations are interpreted (select.py, in DuckDB), and the answers are
taken back to every row. Organism and antimicrobial texts are resolved once per call. Batches
run in parallel threads (Arrow and DuckDB release the GIL) and never depend on each other, so the
result does not depend on batch size or row order.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from amrwatch.errors import InputError
from amrwatch.interpret import breakpoints, rules
from amrwatch.interpret.policy import Settings, settings
from amrwatch.interpret.run import Run
from amrwatch.schemas import AST_INPUT, INTERPRETATION

REQUIRED = ("organism", "antimicrobial", "method", "value")
OPTIONAL = tuple(name for name in AST_INPUT.names if name not in REQUIRED)


def interpret(table: Any, guideline: str = "EUCAST 2025", policy: str = "default",
              capped_mic_handling: str = "standard", source: str | Path | None = None) -> pa.Table:
    """Interpret every AST row under one guideline version; see the module docstring."""
    data = _as_arrow(table)
    _check_columns(data)
    run = _run(None if source is None else str(source), guideline, policy, capped_mic_handling)
    columns = run.interpret_rows(data)
    result = _append(data, columns, run.settings)
    return rules.apply_expert_rules(result, run) if run.settings["expert_rules"] else result


@lru_cache(maxsize=16)
def _run(source: str | None, guideline: str, policy: str, capped_mic_handling: str) -> Run:
    """The prepared breakpoints of one guideline/policy; kept, as reinterpretation calls repeat."""
    bp_source = breakpoints.source(source)
    return Run(settings(guideline, policy, capped_mic_handling, bp_source.years()), bp_source)


def _as_arrow(table: Any) -> pa.Table:
    if isinstance(table, pa.Table):
        return table
    if isinstance(table, pa.RecordBatch):
        return pa.Table.from_batches([table])
    if hasattr(table, "to_arrow"):  # polars
        return table.to_arrow()
    try:
        import pandas as pd

        if isinstance(table, pd.DataFrame):
            return pa.Table.from_pandas(table, preserve_index=False)
    except ImportError:  # pragma: no cover - pandas is a dependency
        pass
    raise InputError("interpret() takes an Arrow table or a pandas/polars data frame",
                     {"type": type(table).__name__})


def _check_columns(data: pa.Table) -> None:
    missing = [name for name in REQUIRED if name not in data.column_names]
    if missing:
        raise InputError(
            "The AST table lacks required columns", {"missing": ", ".join(missing),
                                                     "columns": ", ".join(data.column_names)},
            hint="name the columns organism, antimicrobial, method and value "
                 "(optional: potency, uti, site, host, breakpoint_type)",
        )
    clash = [name for name in INTERPRETATION.names if name in data.column_names]
    if clash:
        raise InputError(
            "The AST table already has interpretation columns", {"columns": ", ".join(clash)},
            hint="rename or drop these columns before interpreting again",
        )


def _as_text(column: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """Values as strings: a pandas float column 0.5 becomes "0.5"; dictionaries are decoded."""
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        return column
    return column.cast(pa.string())


def _append(data: pa.Table, columns: dict[str, pa.ChunkedArray], run: Settings) -> pa.Table:
    result = data
    for field in INTERPRETATION:
        if field.name == "guideline":
            column = pa.chunked_array([pa.array([run.guideline] * len(c), pa.string())
                                       if len(c) < 1024 else _repeat(run.guideline, len(c))
                                       for c in columns["reason"].chunks], type=pa.string())
        else:
            column = columns[field.name].cast(field.type)
        result = result.append_column(field, column)
    return result


def _repeat(text: str, n: int) -> pa.Array:
    """n copies of one string, built without a Python list."""
    return pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, dtype=np.int8)),
                                          pa.array([text])).cast(pa.string())
