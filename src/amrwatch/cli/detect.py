"""`amrwatch detect`: aberrations in weekly counts, space-time clusters, alert rules.

Also `amrwatch bench scan` (the scan benchmark of issue 8).
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from amrwatch.cli.bench import bench_app, peak_rss_mib

detect_app = typer.Typer(help="Detect emerging resistance and clusters: aberrations, scan, rules.")
console = Console()
ALGORITHMS = ("farrington", "ears-c1", "ears-c2", "ears-c3", "cusum")


SeriesArg = typer.Argument(..., help="Weekly counts: series_id, week_index, observed [, population].")
SeriesOutOption = typer.Option(..., "-o", "--out", help="Where to write the series with expected, upperbound, alarm.")
AberrationSignalsOption = typer.Option(None, help="Also write one signal per run of alarm weeks here (.csv or .parquet).")


@detect_app.command("aberrations")
def aberrations(
    series: Path = SeriesArg,
    out: Path = SeriesOutOption,
    algorithm: str = typer.Option("farrington", "--algorithm", "-a", help="farrington | ears-c1 | ears-c2 | ears-c3 | cusum."),
    monitor_from: int = typer.Option(None, help="First week_index to monitor (default: as soon as the algorithm has enough history)."),
    signals: Path = AberrationSignalsOption,
    population_offset: bool = typer.Option(
        None, "--population-offset/--no-population-offset",
        help="Farrington: model counts per population (log offset). Default: when a population column is given."),
) -> None:
    """Flag weeks with more cases than expected, as R `surveillance` does (Farrington flexible
    with Noufaily's improvements, EARS C1/C2/C3, CUSUM)."""
    from amrwatch.detect import detect_aberrations, detector
    from amrwatch.detect.signals import aberration_signals
    from amrwatch.tables import read_table, write_table

    if algorithm not in ALGORITHMS:
        from amrwatch.errors import ConfigurationError

        raise ConfigurationError("Unknown algorithm", {"algorithm": algorithm},
                                 hint=f"use one of: {', '.join(ALGORITHMS)}")
    options = {"population_offset": population_offset} if algorithm == "farrington" else {}
    method = detector(algorithm, monitor_from=monitor_from, **options)
    result = detect_aberrations(read_table(series), method, source=str(series))
    write_table(result, out)
    _report_series(result, algorithm, out)
    if signals is not None:
        write_table(aberration_signals(result, algorithm), signals)


def _report_series(result, algorithm: str, out: Path) -> None:
    import pyarrow.compute as pc

    alarms = int(pc.sum(pc.cast(result.column("alarm").fill_null(False), "int64")).as_py() or 0)
    ids = result.column("series_id")
    monitored = pc.unique(ids.filter(pc.is_valid(result.column("upperbound"))))
    unmonitored = len(pc.unique(ids)) - len(monitored)
    console.print(f"{algorithm}: {alarms} alarm week(s) in {len(pc.unique(ids))} series → {out}")
    if unmonitored:
        console.print(f"[yellow]{unmonitored} series had too little history (or too few cases) "
                      "to give any bound; their rows have empty expected/upperbound/alarm.[/]")


CasesArg = typer.Argument(..., help="One row per case: lab_code, specimen_date [, grouping columns].")
ScanLabsOption = typer.Option(..., "--labs", help="Lab registry with lab_code, latitude, longitude [, country].")
ClustersOutOption = typer.Option(..., "-o", "--out", help="Where to write the clusters.")
ClusterSignalsOption = typer.Option(None, help="Also write one signal per cluster above the recurrence threshold (.csv or .parquet).")


@detect_app.command("scan")
def scan_command(
    cases: Path = CasesArg,
    labs: Path = ScanLabsOption,
    out: Path = ClustersOutOption,
    by: str = typer.Option(None, help="Comma-separated columns to scan separately, e.g. mo,phenotype."),
    end: str = typer.Option(None, help="Last day of the study period, YYYY-MM-DD (default: last case)."),
    max_window_days: int = typer.Option(60, help="Longest cluster duration in days."),
    study_days: int = typer.Option(365, help="Days of data in the study period (baseline + window)."),
    max_labs: int = typer.Option(20, help="Most labs in one cluster (a lab and its nearest labs)."),
    replications: int = typer.Option(999, help="Monte Carlo replications for the p-value."),
    signals: Path = ClusterSignalsOption,
) -> None:
    """Find space-time clusters ending today (Kulldorff's space-time permutation scan)."""
    from amrwatch.detect.runner import scan_groups
    from amrwatch.detect.scan import SpaceTimeScan
    from amrwatch.tables import read_table, write_table

    params = SpaceTimeScan(max_window_days=max_window_days, study_days=study_days,
                           max_labs=max_labs, replications=replications)
    columns = [c.strip() for c in by.split(",")] if by else []
    clusters, found = scan_groups(read_table(cases), read_table(labs), params, columns, _date(end))
    write_table(_flat(clusters) if out.suffix.lower() != ".parquet" else clusters, out)
    console.print(f"{clusters.num_rows} cluster(s), {found.num_rows} above the recurrence "
                  f"threshold ({params.min_recurrence_days:g} days) → {out}")
    if signals is not None:
        write_table(found, signals)


def _flat(clusters):
    """Labs as "A;B;C" for TSV/CSV, which hold no lists."""
    import pyarrow.compute as pc

    index = clusters.schema.get_field_index("labs")
    return clusters.set_column(index, "labs", pc.binary_join(clusters.column("labs"), ";"))


def _date(text: str | None):
    import datetime as dt

    from amrwatch.errors import InputError

    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError as error:
        raise InputError("Not a date", {"option": "--end", "value": text}, hint="write YYYY-MM-DD") from error


ResultsArg = typer.Argument(..., help="Interpreted results: country, lab_code, isolate_id, specimen_date, mo, ab, sir.")
RulesOutOption = typer.Option(..., "-o", "--out", help="Where to write the signals (.csv or .parquet: evidence is JSON).")
RulesOption = typer.Option(None, help="Rule file (default: the packaged rules.yaml).")


@detect_app.command("rules")
def rules_command(
    results: Path = ResultsArg,
    out: Path = RulesOutOption,
    rules: Path = RulesOption,
    language: str = typer.Option("en", help="Language of the summary: es, pt, en, fr."),
) -> None:
    """First occurrences (CRE, VRSA, colistin-R, Candida auris, PDR), EUCAST exceptional
    phenotypes and requests to send isolates to the reference lab."""
    from amrwatch.detect.rules import evaluate_rules, load_rules
    from amrwatch.tables import read_table, write_table

    ruleset = load_rules(rules)
    found = evaluate_rules(read_table(results), ruleset)
    write_table(found, out)
    console.print(f"{found.num_rows} signal(s) → {out}")
    for rule in ruleset.rules:
        n = sum(1 for d in found.column("detector").to_pylist() if d == rule["id"])
        if n:
            console.print(f"  {rule['id']}: {n} — {ruleset.describe(rule['id'], language)}")


@bench_app.command("scan")
def bench_scan(
    cases: int = typer.Option(10_000, help="Number of cases."),
    labs: int = typer.Option(200, help="Number of labs."),
    days: int = typer.Option(365, help="Days in the study period."),
    replications: int = typer.Option(999, help="Monte Carlo replications."),
) -> None:
    """Space-time permutation scan on random cases with one planted cluster; prints the time."""
    import time

    from amrwatch.detect.runner import benchmark_data
    from amrwatch.detect.scan import SpaceTimeScan, scan

    case_table, lab_table = benchmark_data(cases, labs, days)
    started = time.perf_counter()
    clusters = scan(case_table, lab_table, SpaceTimeScan(study_days=days, replications=replications))
    elapsed = time.perf_counter() - started
    top = clusters.slice(0, 1).to_pylist()[0] if clusters.num_rows else {}
    console.print(f"scan: {cases:,} cases, {labs} labs, {days} days, {replications} replications: "
                  f"{elapsed:.1f} s, peak memory {peak_rss_mib():.0f} MiB")
    if top:
        console.print(f"most likely cluster: {top['labs']} {top['window_start']}–{top['window_end']}, "
                      f"{top['observed']} cases vs {top['expected']:.1f} expected, "
                      f"p = {top['p_value']:.3f}, recurrence {top['recurrence_days']:.0f} days")


def register(app: typer.Typer) -> None:
    app.add_typer(detect_app, name="detect")


RunLabsOption = typer.Option(..., "--labs", help="Lab registry with lab_code, country, latitude/longitude (or lat/lon).")
RunOutOption = typer.Option(..., "-o", "--out", help="Where to write the signals (.csv or .parquet).")
KnownOption = typer.Option(None, help="Signals already stored: continuing clusters keep their ids and only new ids are written.")


@detect_app.command("run")
def run_command(
    labs: Path = RunLabsOption,
    out: Path = RunOutOption,
    db: str = typer.Option(None, "--db", help="Store (DuckDB file or postgresql:// URL); default $AMRWATCH_DB."),
    guideline: str = typer.Option(None, help="Interpretations to use (default: the latest computed)."),
    known: Path = KnownOption,
    rules: Path = RulesOption,
) -> None:
    """Run every detector over the stored data, as after each upload: rules, weekly aberrations
    per country and phenotype, and the regional space-time scan per phenotype."""
    import pyarrow.compute as pc

    from amrwatch.detect.pipeline import detect_signals
    from amrwatch.detect.rules import load_rules
    from amrwatch.store import open_store
    from amrwatch.tables import read_table, write_table

    with open_store(db) as store:
        results = store.isolate_results(guideline)
    previous = read_table(known) if known else None
    found = detect_signals(results, read_table(labs), load_rules(rules), known=previous).signals
    if previous is not None and previous.num_rows:
        found = found.filter(pc.invert(pc.is_in(found.column("signal_id"), previous.column("signal_id"))))
    write_table(found, out)
    kinds = found.group_by("kind").aggregate([("signal_id", "count")]).to_pylist()
    console.print(f"{found.num_rows} new signal(s) → {out}: "
                  + ", ".join(f"{k['signal_id_count']} {k['kind']}" for k in kinds))
