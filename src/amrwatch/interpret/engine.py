"""`interpret()`: AST rows in, the same rows out with sir, reason, breakpoint_id and guideline.

Takes an Arrow table (or pandas / polars frame) with the AST_INPUT columns; gives the input
columns unchanged and in order, plus the INTERPRETATION columns (schemas.py). Only the DISTINCT
rows are interpreted (rows.py), in one pass of SQL (select.py) over the guideline's prepared
breakpoints (run.py, kept per guideline and policy); the answers are then spread back to every
row. Each row's answer depends only on that row (and, for expert rules, on the rows of the same
isolate), so results do not depend on row order or on how the table is chunked.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import pyarrow as pa

from amrwatch.errors import InputError
from amrwatch.interpret import breakpoints, rules
from amrwatch.interpret.policy import settings
from amrwatch.interpret.rows import REQUIRED
from amrwatch.interpret.run import Run
from amrwatch.schemas import INTERPRETATION


def interpret(table: Any, guideline: str = "EUCAST 2025", policy: str = "default",
              capped_mic_handling: str = "standard", source: str | Path | None = None) -> pa.Table:
    """Interpret every AST row under one guideline version; see the module docstring."""
    data = _as_arrow(table)
    _check_columns(data)
    run = _run(None if source is None else str(source), guideline, policy, capped_mic_handling)
    columns = run.interpret_rows(data)
    result = _append(data, columns)
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


def _append(data: pa.Table, columns: dict[str, pa.ChunkedArray]) -> pa.Table:
    result = data
    for field in INTERPRETATION:
        result = result.append_column(field, columns[field.name])
    return result
