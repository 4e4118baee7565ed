"""`amrwatch first-isolate`, `resistance`, `antibiogram`, `mdro`, `trends` and `bench analyse`.

Every command reads a TSV/CSV/Parquet table (wide, one row per isolate, or long, one row per
isolate × antimicrobial) or, with `--db`, the store's interpreted results; and writes a table
chosen by the extension of `-o` (.tsv, .csv, .parquet, .json; antibiograms also .html).
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console

from amrwatch.cli.bench import bench_app, peak_rss_mib

console = Console()
InputArg = typer.Argument(None, help="Results table (.tsv, .csv, .parquet); leave out with --db.",
                          show_default=False)
OutOption = typer.Option(..., "-o", "--out", help="Output table: .tsv, .csv, .parquet or .json.")
DbOption = typer.Option(None, "--db", help="Read the store (DuckDB file or postgresql:// URL) "
                        "instead of a file.", show_default=False)
GuidelineOption = typer.Option(None, help='With --db: guideline version, e.g. "EUCAST 2025" '
                               "(default: the latest interpreted).", show_default=False)
CountryOption = typer.Option(None, help="With --db: one country (ISO 3166-1 alpha-3).",
                             show_default=False)
ByOption = typer.Option("organism", help="Comma-separated strata: organism, country, lab, year, "
                        "quarter, specimen, origin, age_group, sex, or any column.")
MinNOption = typer.Option(30, "--min-n", help="Cells with fewer isolates tested are 'insufficient'.")
IntervalOption = typer.Option("wilson", help="Interval: wilson or clopper-pearson.")
LevelOption = typer.Option(0.95, help="Confidence level of the intervals.")
PageOutOption = typer.Option(..., "-o", "--out", help="Output: .tsv, .csv, .parquet, .json or .html.")
SizesOption = typer.Option([1_000_000, 10_000_000], "--isolates",
                           help="Table sizes to time (repeat the option).")


def load(source: Path | None, db: str | None, guideline: str | None = None,
         country: str | None = None):
    """The input table: a file, or the store's isolate results (InputError when neither is given)."""
    from amrwatch.errors import InputError

    if source is not None:
        from amrwatch.tables import read_table

        return read_table(source)
    if db is None:
        raise InputError("No input", hint="give a results file, or --db to read the store")
    from amrwatch.store import open_store

    with open_store(db, create=False) as store:
        return store.isolate_results(guideline=guideline, country=country)


def save(table, out: Path) -> None:
    """Write by extension; .json is a list of row objects."""
    if out.suffix.lower() == ".json":
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(table.to_pylist(), default=str, ensure_ascii=False, indent=1),
                       encoding="utf-8")
    else:
        from amrwatch.tables import write_table

        write_table(table, out)
    console.print(f"Wrote {table.num_rows:,} rows to {out}")


def _strata(by: str) -> list[str]:
    return [b.strip() for b in by.split(",") if b.strip()]


def first_isolate(
    source: Path = InputArg, out: Path = OutOption,
    method: str = typer.Option("phenotype-based", help="isolate-based, patient-based, "
                               "episode-based or phenotype-based (CLSI M39; AMR 3.0.0)."),
    episode_days: float = typer.Option(365, help="Episode length in days."),
    col_date: str = typer.Option(None, help="Specimen date column (default: date, specimen_date)."),
    col_patient: str = typer.Option(None, help="Patient column (default: patient, patient_key)."),
    col_organism: str = typer.Option(None, help="Organism column (default: organism, mo)."),
    phenotype: str = typer.Option("points", help="Phenotype comparison: points or keyantimicrobials."),
    points_threshold: float = typer.Option(2, help="Points that make a new phenotype."),
    db: str = DbOption, guideline: str = GuidelineOption, country: str = CountryOption,
) -> None:
    """Flag first isolates (one per patient, species and episode) and number the episodes."""
    from amrwatch.analyse.first_isolate import first_isolates

    table = first_isolates(load(source, db, guideline, country), method, episode_days, col_date,
                           col_patient, col_organism, phenotype, points_threshold)
    flags = table.column("first_isolate").to_pylist()
    console.print(f"{sum(bool(f) for f in flags):,} first isolates ({method}) of {len(flags):,} rows.")
    save(table, out)


def resistance(
    source: Path = InputArg, out: Path = OutOption, by: str = ByOption, min_n: int = MinNOption,
    interval: str = IntervalOption, level: float = LevelOption,
    first: str = typer.Option(None, help="Count only first isolates by this method "
                              "(e.g. episode-based).", show_default=False),
    db: str = DbOption, guideline: str = GuidelineOption, country: str = CountryOption,
) -> None:
    """%R, %I, %S and %NS with intervals per stratum and antimicrobial (insufficient under min n)."""
    from amrwatch.analyse.proportions import resistance as compute

    table = _first_only(load(source, db, guideline, country), first)
    save(compute(table, _strata(by), min_n, interval, level), out)


def _first_only(table, method: str | None):
    if method is None:
        return table
    import pyarrow.compute as pc

    from amrwatch.analyse.first_isolate import first_isolates

    flagged = first_isolates(table, method)
    return flagged.filter(pc.fill_null(flagged.column("first_isolate"), False))


def antibiogram(
    source: Path = InputArg, out: Path = PageOutOption,
    antimicrobials: str = typer.Option(..., help='Regimens, comma-separated; "+" joins a '
                                       'combination: "TZP,TZP+GEN,CIP".'),
    organism_label: str = typer.Option("name", help="Rows by mo, name or gramstain."),
    syndromic: str = typer.Option(None, help="Syndromic groups: a column (ward, syndrome) or a "
                                  "stratum (specimen, year, quarter, age_group, country).",
                                  show_default=False),
    wisca: bool = typer.Option(False, help="WISCA: Bayesian weighted-incidence coverage."),
    simulations: int = typer.Option(1000, help="WISCA Monte Carlo simulations."),
    seed: int = typer.Option(None, help="WISCA random seed (same seed, same result).",
                             show_default=False),
    combine_si: bool = typer.Option(True, help="Count S, SDD and I as susceptible."),
    min_n: int = MinNOption, level: float = LevelOption,
    first: str = typer.Option(None, help="Use only first isolates by this method.",
                              show_default=False),
    db: str = DbOption, guideline: str = GuidelineOption, country: str = CountryOption,
) -> None:
    """Traditional, combination, syndromic or WISCA antibiogram as a table or a readable page."""
    from amrwatch.analyse import antibiogram as ab

    table = _first_only(load(source, db, guideline, country), first)
    regimens = ab.regimens(antimicrobials)
    if wisca:
        result = ab.wisca(table, regimens, syndromic=syndromic, combine_si=combine_si,
                          simulations=simulations, level=level, seed=seed)
    else:
        result = ab.antibiogram(table, regimens, organism_label=organism_label, syndromic=syndromic,
                                combine_si=combine_si, min_n=min_n, level=level)
    if out.suffix.lower() == ".html" and not wisca:
        out.write_text(ab.to_html(result, min_n=min_n, level=level, combine_si=combine_si),
                       encoding="utf-8")
        console.print(f"Wrote antibiogram page {out}")
        return
    save(result, out)


def mdro(
    source: Path = InputArg, out: Path = OutOption,
    nonsusceptible: str = typer.Option("R", help="Categories counted non-susceptible: R (AMR, "
                                       "EUCAST 2019) or RI (Magiorakos 2012 wording)."),
    indicators: bool = typer.Option(True, help="Add MRSA, VRE, CRE, CRAB, CRPA, 3GC-R, FQ-R flags."),
    db: str = DbOption, guideline: str = GuidelineOption, country: str = CountryOption,
) -> None:
    """Magiorakos 2012 MDR/XDR/PDR per isolate, with the categories behind each call."""
    from amrwatch.analyse import mdro as definitions

    table = load(source, db, guideline, country)
    if indicators:
        result = definitions.mdro_with_indicators(table, nonsusceptible=nonsusceptible)
    else:
        result = definitions.mdro(table, nonsusceptible=nonsusceptible)
    counts = {c: result.column("mdro").to_pylist().count(c) for c in ("MDR", "XDR", "PDR")}
    console.print(", ".join(f"{n:,} {c}" for c, n in counts.items()) + f" of {result.num_rows:,} isolates.")
    save(result, out)


def trends(
    source: Path = InputArg, out: Path = OutOption,
    period: str = typer.Option("year", help="year or quarter."), by: str = ByOption,
    min_n: int = MinNOption, interval: str = IntervalOption, level: float = LevelOption,
    breakpoint_impact: bool = typer.Option(False, help="Side by side: labs' own guideline versions "
                                           "(lab_sir) vs one fixed version (sir)."),
    db: str = DbOption, guideline: str = GuidelineOption, country: str = CountryOption,
) -> None:
    """Resistance by year or quarter with intervals; optionally the breakpoint-change impact."""
    from amrwatch.analyse import trends as compute

    table = load(source, db, guideline, country)
    if breakpoint_impact:
        result = compute.breakpoint_impact(table, period, _strata(by), min_n, interval, level)
    else:
        result = compute.trend(table, period, _strata(by), min_n, interval, level)
    save(result, out)


def register(app: typer.Typer) -> None:
    app.command("first-isolate")(first_isolate)
    app.command("resistance")(resistance)
    app.command("antibiogram")(antibiogram)
    app.command("mdro")(mdro)
    app.command("trends")(trends)


#: Organisms and drugs of the synthetic benchmark table (common CELAC bug-drug combinations).
BENCH_ORGANISMS = ("B_ESCHR_COLI", "B_KLBSL_PNMN", "B_STPHY_AURS", "B_PSDMN_AERG", "B_ACNTB_BMNN",
                   "B_ENTRC_FCLS", "B_STRPT_PNMN", "B_PROTS_MRBL", "B_ENTRBC_CLOC", "B_SERRT_MRCS")
BENCH_DRUGS = ("AMC", "CIP", "CTX", "GEN", "MEM", "SXT")


def synthetic_isolates(n: int, seed: int = 1):
    """A wide isolate table of `n` rows: ~n/3 patients, 10 species, 5 years, 6 drugs (vectorised)."""
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    patients = max(1, n // 3)
    names = pa.array(np.char.add("P", np.arange(patients).astype(str)))
    columns = {
        "patient": pa.DictionaryArray.from_arrays(rng.integers(0, patients, n).astype(np.int32), names),
        "date": pa.array(rng.integers(11_000, 11_000 + 5 * 365, n).astype(np.int32)).cast(pa.date32()),
        "mo": pa.DictionaryArray.from_arrays(rng.integers(0, len(BENCH_ORGANISMS), n).astype(np.int32),
                                             pa.array(BENCH_ORGANISMS)),
    }
    categories = pa.array(["S", "I", "R", None])
    for drug in BENCH_DRUGS:
        columns[drug] = pa.DictionaryArray.from_arrays(
            rng.choice(4, n, p=[0.6, 0.05, 0.25, 0.1]).astype(np.int32), categories)
    return pa.table({k: v.cast(pa.string()) if pa.types.is_dictionary(v.type) else v
                     for k, v in columns.items()})


@bench_app.command("analyse")
def bench_analyse(
    isolates: list[int] = SizesOption,
    seed: int = typer.Option(1, help="Random seed of the synthetic table."),
) -> None:
    """Time first isolates (episode- and phenotype-based) and an antibiogram on synthetic isolates."""
    import time

    from rich.table import Table

    from amrwatch.analyse.antibiogram import antibiogram, regimens
    from amrwatch.analyse.first_isolate import first_isolates

    view = Table("isolates", "step", "seconds", "isolates/s", "peak MiB")
    for n in isolates:
        table = synthetic_isolates(n, seed)
        steps = {
            "first isolates, episode-based": lambda t: first_isolates(t, "episode-based"),
            "first isolates, phenotype-based": lambda t: first_isolates(t, "phenotype-based"),
            "antibiogram (6 drugs + 1 combination)": lambda t: antibiogram(
                t, regimens(list(BENCH_DRUGS) + ["CTX+GEN"]), organism_label="mo"),
        }
        for step, run in steps.items():
            start = time.perf_counter()
            run(table)
            seconds = time.perf_counter() - start
            view.add_row(f"{n:,}", step, f"{seconds:.1f}", f"{n / seconds:,.0f}", f"{peak_rss_mib():,.0f}")
        del table
    console.print(view)
