"""`amrwatch archive`: interpretation and resistance counts over Parquet archives, on Spark."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

archive_app = typer.Typer(
    help="Archive-scale jobs on Apache Spark over folders of (partitioned) Parquet files."
)
console = Console()

MASTER = typer.Option("local[*]", help="Spark master: local[*] on this machine, or a cluster URL.")
InterpretSourceArg = typer.Argument(..., help="Parquet folder of AST rows (organism, antimicrobial, method, value, …).")
InterpretTargetArg = typer.Argument(..., help="Parquet folder to write, with sir, reason, breakpoint_id, guideline added.")


@archive_app.command("interpret")
def interpret_command(
    source: Path = InterpretSourceArg,
    target: Path = InterpretTargetArg,
    guideline: str = typer.Option("EUCAST 2025", help='Guideline version, e.g. "CLSI 2024".'),
    policy: str = typer.Option("default", help="Interpretation policy (see docs/interpretation.md)."),
    capped_mic_handling: str = typer.Option("standard", help="none, conservative, standard or lenient."),
    master: str = MASTER,
) -> None:
    """Re-interpret every AST row of an archive under one guideline version."""
    from amrwatch.archive.spark import interpret_archive, spark_session

    with spark_session(master) as session:
        rows = interpret_archive(session, source, target, guideline, policy, capped_mic_handling)
    console.print(f"Interpreted {rows:,} AST rows under {guideline}; written to {target}")


ResistanceSourceArg = typer.Argument(..., help="Interpreted Parquet folder (from `archive interpret`).")
ResistanceTargetArg = typer.Argument(..., help="Parquet folder for the counts.")


@archive_app.command("resistance")
def resistance_command(
    source: Path = ResistanceSourceArg,
    target: Path = ResistanceTargetArg,
    by: str = typer.Option("country", help="Comma-separated columns to count by, e.g. country,year."),
    master: str = MASTER,
) -> None:
    """Count S, I, R and NS per stratum and antimicrobial (SDD counted as I, as in GLASS RIS)."""
    from amrwatch.archive.spark import resistance_counts, spark_session

    strata = [column.strip() for column in by.split(",") if column.strip()]
    with spark_session(master) as session:
        counts = resistance_counts(session, source, target, strata)
    console.print(f"{counts.num_rows:,} strata × antimicrobials written to {target}")


def register(app: typer.Typer) -> None:
    app.add_typer(archive_app, name="archive")
