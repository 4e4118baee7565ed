"""Antibiograms: traditional, combination, syndromic and WISCA, as the AMR package 3.0.0 computes them.

Takes an isolate table (wide or long) and a list of regimens, each one antimicrobial code or
several joined by "+" ("TZP+GEN"); gives one row per (syndromic group ×) organism × regimen with
n_total (isolates of the organism), n_tested, n_susceptible, coverage and its Clopper–Pearson
interval (AMR `antibiogram()`, `binom.test`). Susceptible means S, SDD or I unless
`combine_si=False` (AMR default `combine_SI = TRUE`). A combination is susceptible when any of its
drugs is, resistant when all were tested and none is, untested otherwise (AMR 3.0.0 `antibiogram()`,
`only_all_tested = FALSE`). Cells under `min_n` tested are kept with `status = insufficient`.

WISCA (weighted-incidence syndromic combination antibiogram; Bielicki et al., J Antimicrob
Chemother 2016;71:2301, as AMR `wisca()` describes): per regimen (and syndromic group) the coverage
sum_k incidence_k × susceptibility_k is simulated with incidence ~ Dirichlet(1 + n_total_k) and
susceptibility_k ~ Beta(1 + n_susceptible_k, 1 + n_tested_k − n_susceptible_k); the result is the
mean of the simulations and their 2.5 / 97.5 % quantiles (a credible interval).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa

from amrwatch.analyse import isolates, strata
from amrwatch.analyse.proportions import interval
from amrwatch.errors import InputError

ORGANISM_LABELS = ("mo", "name", "gramstain")


def regimens(spec: list[str] | str) -> list[tuple[str, ...]]:
    """Parse regimens: ["TZP", "TZP+GEN"] or "TZP,TZP+GEN" -> [("TZP",), ("TZP", "GEN")]."""
    items = spec.split(",") if isinstance(spec, str) else spec
    parsed = [tuple(d.strip().upper() for d in item.split("+") if d.strip()) for item in items]
    unknown = sorted({d for r in parsed for d in r} - isolates.antimicrobial_codes())
    if unknown:
        raise InputError("Unknown antimicrobial codes in regimens", {"codes": ", ".join(unknown)},
                         hint="use AMR antimicrobial codes such as AMC, CIP, TZP+GEN")
    return [r for r in parsed if r]


def _organism_labels(listing: pa.Table, organism: str, label: str) -> pa.Array:
    """Organism label per isolate: the code, the full name, or the Gram stain (distinct values)."""
    import pyarrow.compute as pc

    from amrwatch import refdata

    values = listing.column(organism)
    if label == "mo":
        return values
    distinct = pc.unique(values)
    if label == "name":
        micro = refdata.table("microorganisms")
        names = pc.take(micro.column("fullname"), pc.index_in(distinct, micro.column("mo")))
    else:
        from amrwatch.codes.traits import traits

        def stain(mo: str | None) -> str | None:
            try:
                return traits(mo)["gram_stain"] if mo else None
            except (KeyError, LookupError):
                return None

        names = pa.array([stain(mo) for mo in distinct.to_pylist()], type=pa.string())
    return pc.take(pc.coalesce(names, distinct), pc.index_in(values, distinct))


def susceptibility(table: pa.Table, regimen_list: list[tuple[str, ...]], organism: str | None = None,
                   organism_label: str = "mo", syndromic: str | None = None,
                   combine_si: bool = True) -> pa.Table:
    """n_total / n_tested / n_susceptible per (syndromic group ×) organism × regimen.

    Works on the wide form (one row per isolate; a long table is pivoted first), so each regimen
    is one CASE expression over a single scan of the isolates.
    """
    if organism_label not in ORGANISM_LABELS:
        raise InputError("Unknown organism label", {"label": organism_label},
                         hint=f"use one of: {', '.join(ORGANISM_LABELS)}")
    organism = isolates.find_column(table, "organism", organism)
    sources = strata.source_columns(table, syndromic) if syndromic else []
    if isolates.is_long(table):
        table = isolates.to_wide(table, [organism, *sources])
    present = set(isolates.antimicrobial_columns(table))
    table = table.append_column("organism_label", _organism_labels(table, organism, organism_label))
    con = duckdb.connect()
    con.register("isolates", table)
    good = "('S', 'SDD', 'I')" if combine_si else "('S')"
    aggregates = []
    for i, regimen in enumerate(regimen_list):  # one pair of SQL expressions per regimen
        drugs = [f"upper(trim(CAST({strata.q(d)} AS VARCHAR)))" for d in regimen if d in present]
        susceptible = " OR ".join(f"{d} IN {good}" for d in drugs) or "false"
        tested = " AND ".join(f"{d} IN ('S', 'SDD', 'I', 'R')" for d in drugs) if len(drugs) == len(
            regimen) else "false"
        aggregates.append(f"count(*) FILTER (WHERE ({susceptible}) OR ({tested})) AS t{i}, "
                          f"count(*) FILTER (WHERE {susceptible}) AS s{i}")
    syndrome = f"{strata.expression(table, syndromic)} AS syndromic_group, " if syndromic else ""
    wide = con.sql(f"SELECT {syndrome} organism_label AS organism, count(*) AS n_total, "
                   f"{', '.join(aggregates)} FROM isolates GROUP BY ALL").to_arrow_table()
    return _by_regimen(wide, regimen_list, bool(syndromic))


def _by_regimen(wide: pa.Table, regimen_list: list[tuple[str, ...]], syndromic: bool) -> pa.Table:
    """Reshape the per-organism aggregate (one t/s column pair per regimen) to one row per regimen."""
    keys = (["syndromic_group"] if syndromic else []) + ["organism"]
    parts = []
    for i, regimen in enumerate(regimen_list):  # a handful of regimens, each a column slice
        part = wide.select(keys + ["n_total", f"t{i}", f"s{i}"]).rename_columns(
            keys + ["n_total", "n_tested", "n_susceptible"])
        parts.append(part.append_column("regimen", pa.array([" + ".join(regimen)] * part.num_rows)))
    table = pa.concat_tables(parts).select(keys + ["regimen", "n_total", "n_tested", "n_susceptible"])
    return table.sort_by([(k, "ascending") for k in keys + ["regimen"]])


def antibiogram(table: pa.Table, regimen_list: list[tuple[str, ...]], organism: str | None = None,
                organism_label: str = "mo", syndromic: str | None = None, combine_si: bool = True,
                min_n: int = 30, level: float = 0.95) -> pa.Table:
    """Traditional / combination / syndromic antibiogram with Clopper–Pearson intervals."""
    counts = susceptibility(table, regimen_list, organism, organism_label, syndromic, combine_si)
    counts = counts.filter(pa.compute.greater(counts.column("n_tested"), 0))
    n = counts.column("n_tested").to_numpy().astype(float)
    k = counts.column("n_susceptible").to_numpy().astype(float)
    low, high = interval(k, n, "clopper-pearson", level)
    enough = n >= min_n
    for name, values in (("coverage", k / np.where(n > 0, n, 1)), ("lower_ci", low), ("upper_ci", high)):
        counts = counts.append_column(name, pa.array(values, mask=~enough))
    return counts.append_column("status", pa.array(np.where(enough, "ok", "insufficient")))


def wisca(table: pa.Table, regimen_list: list[tuple[str, ...]], organism: str | None = None,
          syndromic: str | None = None, combine_si: bool = True, simulations: int = 1000,
          level: float = 0.95, seed: int | None = None) -> pa.Table:
    """WISCA coverage per regimen (× syndromic group): mean and credible interval of simulations."""
    counts = susceptibility(table, regimen_list, organism, "name", syndromic, combine_si)
    rng = np.random.default_rng(seed)
    groups = ["syndromic_group", "regimen"] if syndromic else ["regimen"]
    frame = counts.to_pandas()
    rows = []
    for group, part in frame.groupby(groups, sort=True):  # one simulation batch per regimen
        coverage = simulate_coverage(part["n_total"].to_numpy(), part["n_tested"].to_numpy(),
                                     part["n_susceptible"].to_numpy(), simulations, rng)
        tail = (1 - level) / 2
        group = group if isinstance(group, tuple) else (group,)
        rows.append({**dict(zip(groups, group)), "coverage": float(coverage.mean()),
                     "lower_ci": float(np.quantile(coverage, tail)),
                     "upper_ci": float(np.quantile(coverage, 1 - tail)),
                     "n_total": int(part["n_total"].sum()), "n_tested": int(part["n_tested"].sum()),
                     "n_susceptible": int(part["n_susceptible"].sum()),
                     "simulations": simulations})
    return pa.Table.from_pylist(rows)


def simulate_coverage(n_total: np.ndarray, n_tested: np.ndarray, n_susceptible: np.ndarray,
                      simulations: int, rng: np.random.Generator) -> np.ndarray:
    """Monte Carlo draws of sum_k incidence_k × susceptibility_k (Bielicki et al. 2016)."""
    incidence = rng.gamma(shape=1 + n_total, size=(simulations, len(n_total)))
    incidence /= incidence.sum(axis=1, keepdims=True)
    susceptible = rng.beta(1 + n_susceptible, 1 + n_tested - n_susceptible,
                           size=(simulations, len(n_total)))
    return (incidence * susceptible).sum(axis=1)


def to_html(result: pa.Table, title: str = "Antibiogram", min_n: int = 30, level: float = 0.95,
            combine_si: bool = True) -> str:
    """A readable antibiogram page: organisms as rows, regimens as columns, insufficient cells marked."""
    import jinja2

    rows = result.to_pylist()
    for row in rows:  # syndromic antibiograms: one table row per syndrome x organism
        if row.get("syndromic_group") is not None:
            row["organism"] = f"{row['syndromic_group']} · {row['organism']}"
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("amrwatch.analyse", "templates"), autoescape=True)
    return environment.get_template("antibiogram.html").render(
        title=title, rows=rows, min_n=min_n, level=f"{level:.0%}", combine_si=combine_si,
        group_label="Organism",
        organisms=sorted({r["organism"] for r in rows if r["organism"] is not None}),
        regimens=list(dict.fromkeys(r["regimen"] for r in rows)),
        cells={(r["organism"], r["regimen"]): r for r in rows})
