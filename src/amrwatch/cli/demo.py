"""`amrwatch demo`: the whole chain on a synthetic regional dataset, in a few minutes.

Generates data, then runs each stage that exists in this installation; a stage that is not
available yet is reported as such, never imitated.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

console = Console()


def demo(
    out: Path = typer.Option(Path("demo-output"), help="Folder for the demo data and report."),
    isolates: int = typer.Option(20_000, help="Number of synthetic isolates to generate."),
    seed: int = typer.Option(2026, help="Random seed; the same seed gives the same files."),
) -> None:
    """Generate a synthetic CELAC dataset and run every available stage on it."""
    from amrwatch.synth.geography import countries

    table = countries()
    console.print(f"[bold]amrwatch demo[/] — {table.num_rows} CELAC countries, seed {seed}")
    console.print("Synthetic data generator: not available yet (being written).")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
