"""`amrwatch evaluate`: score a stage against the ground truth of a synthetic dataset."""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from amrwatch.detect.evaluate import Evaluation

evaluate_app = typer.Typer(help="Score amrwatch against the seeded events of a synthetic dataset.")
console = Console()


DataOption = typer.Option(Path("demo-output/data"), help="Folder written by `amrwatch synth` (labs.tsv, ground_truth.json).")
SignalsOutOption = typer.Option(None, "-o", "--out", help="Also write every replayed signal here (.csv or .parquet).")


@evaluate_app.command("detection")
def detection(
    data: Path = DataOption,
    db: str = typer.Option("demo-output/amrwatch.duckdb", "--db", help="Store holding that dataset, ingested and interpreted."),
    guideline: str = typer.Option(None, help="Interpretations to use (default: the latest computed)."),
    every_days: int = typer.Option(7, help="Replay the scan every this many days."),
    replications: int = typer.Option(199, help="Scan replications per run (enough for RI ≥ 365 days with weekly runs)."),
    out: Path = SignalsOutOption,
) -> None:
    """Per seeded event: detected or not, when, by what; false alerts per country and month."""
    from amrwatch.detect.evaluate import evaluate
    from amrwatch.errors import InputError
    from amrwatch.store import open_store
    from amrwatch.synth.geography import data_frame
    from amrwatch.tables import read_table, write_table

    truth_path = data / "ground_truth.json"
    if not truth_path.is_file():
        raise InputError("No ground truth here", {"file": str(truth_path)},
                         hint="point --data at the folder written by `amrwatch synth` or `amrwatch demo`")
    organisms = data_frame("organisms.tsv")
    with open_store(db) as store:
        results = store.isolate_results(guideline)
    result = evaluate(results, read_table(data / "labs.tsv"), json.loads(truth_path.read_text()),
                      dict(zip(organisms.organism, organisms.mo)), every_days=every_days,
                      replications=replications)
    _print(result)
    if out is not None:
        write_table(result.signals, out)


def _print(result: Evaluation) -> None:
    view = Table("event", "kind", "first case", "detected", "on", "delay (weeks)", "by")
    for e in result.events:
        artefact = e["kind"] == "artefact"
        view.add_row(e["id"], e["kind"], str(e["start"]),
                     ("(no signal expected)" if artefact else "yes" if e["detected"] else "[red]NO[/]"),
                     str(e["detected_on"] or "—"),
                     "" if artefact or e["delay_weeks"] is None else f"{e['delay_weeks']:.1f}",
                     ", ".join(e["by"]) + (f" ({e['signals']} signals)" if artefact else ""))
    console.print(view)
    real = [e for e in result.events if e["kind"] != "artefact"]
    delays = [e["delay_weeks"] for e in real if e["detected"]]
    false = sum(result.false_alerts.column("n").to_pylist())
    worst = result.false_alerts.slice(0, 1).to_pylist()
    rate = false / result.country_months
    console.print(f"Seeded events detected: {len(delays)}/{len(real)} (target: all)")
    if delays:
        console.print(f"Median delay: {statistics.median(delays):.1f} weeks of data (target ≤ 2)")
    console.print(f"False alerts: {false} over {result.country_months} country-months = "
                  f"{rate:.2f} per country per month (target ≤ 1)"
                  + (f"; busiest: {worst[0]['country']} {worst[0]['month']} with {worst[0]['n']}" if worst else ""))


def register(app: typer.Typer) -> None:
    app.add_typer(evaluate_app, name="evaluate")
