"""`amrwatch synth`: generate a synthetic CELAC dataset, summarise it, benchmark the generator."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from amrwatch.cli.bench import bench_app, peak_rss_mib

console = Console()
synth_app = typer.Typer(help="Synthetic CELAC surveillance data with known seeded events.",
                        invoke_without_command=True, no_args_is_help=False)


def run_generator(out: Path, isolates: int, seed: int, mess: float, chunk_size: int):
    """Generate with a progress bar; returns the generator's Result."""
    from amrwatch.synth.generator import generate

    columns = (TextColumn("[bold]Generating isolates"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("synth", total=isolates)
        return generate(out, isolates, seed, chunk_size=chunk_size, mess=mess,
                        progress=lambda done: bar.advance(task, done))


SynthOutOption = typer.Option(Path("synthetic-data"), help="Output folder.")


@synth_app.callback()
def synth(
    ctx: typer.Context,
    isolates: int = typer.Option(20_000, help="Number of isolates (up to 10,000,000)."),
    seed: int = typer.Option(2026, help="Random seed; the same seed gives byte-identical files."),
    out: Path = SynthOutOption,
    mess: float = typer.Option(0.01, help="Rate of messy values (duplicates, typos, blanks)."),
    chunk_size: int = typer.Option(250_000, help="Isolates per chunk (memory stays flat)."),
) -> None:
    """Generate lab files (WHONET, LIS CSV, FHIR, HL7 v2), a lab registry and the ground truth."""
    if ctx.invoked_subcommand is not None:
        return
    result = run_generator(out, isolates, seed, mess, chunk_size)
    console.print(f"Wrote {result.isolates:,} isolates and {result.ast_results:,} AST results "
                  f"to {out}: " + ", ".join(f"{n} {k} files" for k, n in result.files.items()))
    console.print(f"Seeded events and their isolates: {out / 'ground_truth.json'}")


SynthFolderArg = typer.Argument(..., help="A folder written by `amrwatch synth`.")


@synth_app.command("summary")
def summary(folder: Path = SynthFolderArg) -> None:
    """Per-country isolate counts and %R for GLASS combinations, next to the published bands."""
    from amrwatch.synth.summary import country_counts, glass_resistance

    counts = Table("country", "labs", "isolates", "first", "last", title="Isolates per country")
    for row in country_counts(folder).itertuples():
        counts.add_row(row.country, str(row.labs), f"{row.isolates:,}", str(row.first_date)[:10],
                       str(row.last_date)[:10])
    console.print(counts)
    view = Table("pathogen", "specimen", "drug", "tested", "true %R", "lab-reported %R",
                 "published band", "source", title="Resistance, GLASS combinations")
    for row in glass_resistance(folder).itertuples():
        band = "" if row.low != row.low else f"{100 * row.low:.0f}–{100 * row.high:.0f}%"
        view.add_row(row.glass_pathogen, row.specimen, row.ab, f"{row.tested:,}",
                     f"{row.true_pct_r:.1f}", f"{row.lab_pct_r:.1f}", band,
                     "" if row.source != row.source else row.source)
    console.print(view)


ScratchOutOption = typer.Option(Path("/tmp/amrwatch-bench-synth"), help="Scratch output folder.")


@bench_app.command("synth")
def bench_synth(
    isolates: int = typer.Option(1_000_000, help="Isolates to generate."),
    out: Path = ScratchOutOption,
) -> None:
    """Time and peak memory of generating N isolates (target: 1,000,000 in < 2 min, < 2 GB)."""
    from amrwatch.synth.generator import generate

    start, cpu = time.perf_counter(), time.process_time()
    result = generate(out, isolates, seed=1)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    console.print(f"synth: {result.isolates:,} isolates, {result.ast_results:,} AST results in "
                  f"{seconds:.1f} s wall, {cpu:.1f} s CPU ({result.isolates / seconds:,.0f} "
                  f"isolates/s), peak memory {peak_rss_mib():,.0f} MiB")


def register(app: typer.Typer) -> None:
    app.add_typer(synth_app, name="synth")
