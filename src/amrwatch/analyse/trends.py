"""Resistance over time, and how much of a trend is only a change of breakpoints.

Takes a long or wide results table; gives

* `trend()` — %R/%I/%S/%NS with intervals per year or quarter (× any strata), cells under the
  minimum n marked insufficient (`amrwatch.analyse.proportions`);
* `breakpoint_impact()` — the same history counted twice, side by side: with the category each lab
  reported under its own guideline version of the day (`lab_sir`) and with every raw value
  re-interpreted under one fixed guideline version (`sir`), plus the difference in %R and %NS.
  A trend that appears under the labs' own versions but not under the fixed one is guideline
  change, not resistance change.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from amrwatch.analyse import isolates
from amrwatch.analyse.proportions import DEFAULT_MIN_N, resistance
from amrwatch.errors import ConfigurationError, InputError

PERIODS = ("year", "quarter")


def trend(table: pa.Table, period: str = "year", by: list[str] | tuple[str, ...] = ("organism",),
          min_n: int = DEFAULT_MIN_N, method: str = "wilson", level: float = 0.95,
          date: str | None = None) -> pa.Table:
    """Proportions per period × strata × antimicrobial, in time order."""
    if period not in PERIODS:
        raise ConfigurationError("Unknown trend period", {"period": period}, hint="use year or quarter")
    return resistance(table, [*by, period], min_n, method, level, date)


def breakpoint_impact(table: pa.Table, period: str = "year",
                      by: list[str] | tuple[str, ...] = ("organism",), min_n: int = DEFAULT_MIN_N,
                      method: str = "wilson", level: float = 0.95, date: str | None = None,
                      lab_column: str = "lab_sir") -> pa.Table:
    """%R and %NS under the labs' own guideline versions and under one fixed version, per period."""
    long = isolates.to_long(table)
    if lab_column not in long.column_names:
        raise InputError(
            "No category as reported by the labs", {"column": lab_column},
            hint="the store keeps it as lab_sir; a table needs both lab_sir and sir (re-interpreted)")
    as_reported = long.drop_columns(["sir"]).rename_columns(
        ["sir" if c == lab_column else c for c in long.drop_columns(["sir"]).column_names])
    fixed = trend(long, period, by, min_n, method, level, date)
    reported = trend(as_reported, period, by, min_n, method, level, date)
    keys = [*by, period, "ab"]
    con = duckdb.connect()
    con.register("fixed", fixed)
    con.register("reported", reported)
    on = " AND ".join(f'f."{k}" IS NOT DISTINCT FROM r."{k}"' for k in keys)
    cols = ", ".join(f'coalesce(f."{k}", r."{k}") AS "{k}"' for k in keys)
    return con.sql(f"""
        SELECT {cols},
               r.n_tested AS n_tested_reported, r.pct_R AS pct_R_reported, r.pct_NS AS pct_NS_reported,
               f.n_tested AS n_tested_fixed, f.pct_R AS pct_R_fixed, f.pct_NS AS pct_NS_fixed,
               f.pct_R - r.pct_R AS pct_R_difference, f.pct_NS - r.pct_NS AS pct_NS_difference,
               CASE WHEN r.status = 'ok' AND f.status = 'ok' THEN 'ok' ELSE 'insufficient' END AS status
        FROM fixed f FULL OUTER JOIN reported r ON {on}
        ORDER BY ALL""").to_arrow_table()
