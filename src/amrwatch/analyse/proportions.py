"""Resistance proportions with confidence intervals and a minimum-n rule.

Takes a long or wide results table and the strata to group by (see `amrwatch.analyse.strata`);
gives one row per stratum × antimicrobial with the counts n_tested, n_S, n_I, n_R, n_NS, the
percentages %S, %I, %R and %NS (non-susceptible = I + R + NS) and, for each, the lower and upper
bound of a Wilson score or Clopper–Pearson (exact binomial) interval. A cell tested in fewer than
`min_n` isolates (CLSI M39: 30) gets `status = insufficient` and no percentages: too few to report,
which is not the same as 0 %.

SDD counts as I (the GLASS RIS file has no SDD column). Tested means S, SDD, I, R or NS; NI, WT and
NWT are not resistance categories and are left out.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
from statsmodels.stats.proportion import proportion_confint

from amrwatch.analyse import isolates, strata
from amrwatch.errors import ConfigurationError

#: statsmodels method names of the interval choices offered to users.
INTERVALS = {"wilson": "wilson", "clopper-pearson": "beta"}
MEASURES = ("S", "I", "R", "NS")
DEFAULT_MIN_N = 30


def interval(k: np.ndarray, n: np.ndarray, method: str = "wilson",
             level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided interval for k successes of n (arrays); NaN where n = 0."""
    if method not in INTERVALS:
        raise ConfigurationError("Unknown interval method", {"interval": method},
                                 hint=f"use one of: {', '.join(INTERVALS)}")
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    safe = np.where(n > 0, n, 1)
    low, high = proportion_confint(k, safe, alpha=1 - level, method=INTERVALS[method])
    # Both intervals contain k/n exactly; statsmodels' Wilson bounds at k = 0 and k = n carry
    # rounding error (5e-17 above 0, 1e-16 below 1), which would put the estimate outside them.
    estimate = k / safe
    low, high = np.clip(np.minimum(low, estimate), 0, 1), np.clip(np.maximum(high, estimate), 0, 1)
    return np.where(n > 0, low, np.nan), np.where(n > 0, high, np.nan)


def counts(table: pa.Table, by: list[str] | tuple[str, ...] = ("organism",),
           date: str | None = None) -> pa.Table:
    """n_tested, n_S, n_I, n_R, n_NS per stratum × antimicrobial (one DuckDB aggregation)."""
    long = isolates.to_long(table)
    select = strata.select_sql(long, by, date)
    keys = ", ".join(strata.q(b) for b in by)
    isolate = ", ".join(strata.q(c) for c in isolates.isolate_key(long))
    con = duckdb.connect()
    con.register("results", long)
    category = "CASE upper(trim(sir)) WHEN 'SDD' THEN 'I' ELSE upper(trim(sir)) END"
    # one category per isolate and drug: the most resistant when a lab sent MIC and disk
    per_isolate = (f"SELECT {keys + ', ' if keys else ''} ab, arg_min(c, "
                   f"{isolates.SEVERITY.replace('sir', 'c')}) AS c FROM ("
                   f"SELECT {select + ', ' if select else ''} upper(trim(ab)) AS ab, {category} AS c, "
                   f"{isolate} FROM results) GROUP BY {keys + ', ' if keys else ''} ab, {isolate}")
    return con.sql(f"""
        SELECT {keys + ', ' if keys else ''} ab, count(*) AS n_tested,
               count(*) FILTER (WHERE c = 'S') AS n_S, count(*) FILTER (WHERE c = 'I') AS n_I,
               count(*) FILTER (WHERE c = 'R') AS n_R, count(*) FILTER (WHERE c = 'NS') AS n_NS
        FROM ({per_isolate}) WHERE c IN ('S', 'I', 'R', 'NS')
        GROUP BY ALL ORDER BY ALL""").to_arrow_table()


def with_percentages(table: pa.Table, min_n: int = DEFAULT_MIN_N, method: str = "wilson",
                     level: float = 0.95) -> pa.Table:
    """Add pct_X, pct_X_low, pct_X_high for X in S, I, R, NS, and `status` (ok | insufficient)."""
    n = table.column("n_tested").to_numpy().astype(float)
    numerators = {
        "S": table.column("n_S").to_numpy(),
        "I": table.column("n_I").to_numpy(),
        "R": table.column("n_R").to_numpy(),
        "NS": (table.column("n_I").to_numpy() + table.column("n_R").to_numpy()
               + table.column("n_NS").to_numpy()),
    }
    enough = n >= min_n
    for measure in MEASURES:
        k = numerators[measure].astype(float)
        low, high = interval(k, n, method, level)
        for suffix, values in (("", np.divide(k, n, out=np.full_like(k, np.nan), where=n > 0)),
                               ("_low", low), ("_high", high)):
            table = table.append_column(
                f"pct_{measure}{suffix}", pa.array(values * 100, mask=~enough | np.isnan(values)))
    status = np.where(enough, "ok", "insufficient")
    return table.append_column("status", pa.array(status)).append_column(
        "interval", pa.array([f"{method} {level:.0%}"] * table.num_rows))


def resistance(table: pa.Table, by: list[str] | tuple[str, ...] = ("organism",),
               min_n: int = DEFAULT_MIN_N, method: str = "wilson", level: float = 0.95,
               date: str | None = None) -> pa.Table:
    """%S/%I/%R/%NS with intervals per stratum × antimicrobial; see the module docstring."""
    if min_n < 1:
        raise ConfigurationError("min_n must be at least 1", {"min_n": min_n})
    return with_percentages(counts(table, by, date), min_n, method, level)
