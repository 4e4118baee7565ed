"""`amrwatch demo`: the whole chain on a synthetic regional dataset, in a few minutes.

Generates data, ingests every file into an embedded DuckDB store, interprets under one guideline,
computes resistance and detection signals, and writes an HTML report with plots. A stage that is
not installed in this amrwatch is reported as "not available yet", never imitated.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from amrwatch.errors import AmrwatchError

console = Console()
GUIDELINE = "EUCAST 2025"


def _files(data: Path) -> list[tuple[Path, str, str]]:
    """(file, format, lab code) of every generated lab file, in a stable order."""
    found = [(p, "whonet", p.stem) for p in sorted((data / "whonet").glob("*.txt"))]
    found += [(p, "csv", p.stem) for p in sorted((data / "lis").glob("*.csv"))]
    found += [(p, "fhir", p.parent.name) for p in sorted((data / "fhir").glob("*/*.json"))]
    found += [(p, "hl7", p.stem) for p in sorted((data / "hl7").glob("*.hl7"))]
    return found


def _ingest(data: Path, store_path: Path, seed: int) -> dict[str, Any]:
    from amrwatch.ingest import read_upload
    from amrwatch.store import open_store

    labs = pd.read_csv(data / "labs.tsv", sep="\t").set_index("lab_code")
    # Demo only: one fixed pseudonymisation key per seed, so no key file is written to $HOME.
    key = hashlib.sha256(f"amrwatch-demo-{seed}".encode()).digest()
    totals = {"files": 0, "isolates": 0, "ast_results": 0, "issues": 0, "failed": []}
    files = _files(data)
    columns = (TextColumn("[bold]Ingesting files"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with open_store(store_path) as store, Progress(*columns, console=console) as bar:
        task = bar.add_task("ingest", total=len(files))
        for path, kind, code in files:
            lab = labs.loc[code]
            store.register_lab(code, lab.country, lab["name"])
            mapping = path.with_suffix(".mapping.yaml") if kind == "csv" else None
            try:
                read = read_upload(path, kind, mapping, lab=code, country=lab.country, key=key,
                                   date_order="ymd" if lab.date_style == "iso" else "dmy")
                outcome = store.add_upload(code, lab.country, path.name, read.sha256, read.reader,
                                           read.isolates, read.ast_results, read.report())
                totals["isolates"] += outcome.isolates_stored
                totals["ast_results"] += outcome.ast_stored
                totals["issues"] += read.issues.num_rows
                totals["files"] += 1
            except AmrwatchError as error:
                totals["failed"].append(f"{path.name}: {error.message}")
            bar.advance(task)
    return totals


def _stage(name: str, step, *args):
    """Run one stage; a stage not installed yet is reported, not imitated."""
    try:
        return step(*args)
    except ImportError as error:
        console.print(f"[yellow]{name}: not available yet[/] ({error.name or error})")
    except AmrwatchError as error:
        console.print(f"[red]{name} failed:[/] {error}")
    return None


def _interpret(store_path: Path) -> dict[str, Any]:
    from amrwatch.store import open_store

    with open_store(store_path) as store, console.status(f"Interpreting under {GUIDELINE}…"):
        return store.reinterpret(GUIDELINE)


def _results(store_path: Path):
    from amrwatch.store import open_store

    with open_store(store_path) as store:
        return store.isolate_results(GUIDELINE)


def _signals(results):
    from amrwatch.detect.rules import evaluate_rules

    return evaluate_rules(results)


def demo(
    out: Path = typer.Option(Path("demo-output"), help="Folder for the demo data, store and report."),
    isolates: int = typer.Option(10_000, help="Number of synthetic isolates to generate."),
    seed: int = typer.Option(2026, help="Random seed; the same seed gives the same files."),
) -> None:
    """Generate a synthetic CELAC dataset and run every available stage on it."""
    from amrwatch.cli.synth import run_generator
    from amrwatch.synth.report import write_report

    data, store_path = out / "data", out / "amrwatch.duckdb"
    shutil.rmtree(data, ignore_errors=True)
    store_path.unlink(missing_ok=True)
    console.rule(f"[bold]amrwatch demo[/] — 33 CELAC countries, {isolates:,} isolates, seed {seed}")
    generated = run_generator(data, isolates, seed, 0.01, 250_000)
    console.print(f"Generated {generated.isolates:,} isolates in {sum(generated.files.values())} "
                  f"lab files ({', '.join(f'{n} {k}' for k, n in generated.files.items())}).")
    ingested = _stage("Ingest", _ingest, data, store_path, seed)
    if ingested:
        console.print(f"Stored {ingested['isolates']:,} isolates and {ingested['ast_results']:,} "
                      f"AST results from {ingested['files']} files; {ingested['issues']:,} "
                      f"validation issues listed; {len(ingested['failed'])} files refused.")
    interpreted = _stage("Interpretation", _interpret, store_path) if ingested else None
    if interpreted:
        console.print(f"Interpreted {interpreted['interpretations']:,} results under {GUIDELINE}.")
    results = _stage("Results", _results, store_path) if interpreted else None
    signals = _stage("Detection", _signals, results) if results is not None else None
    report = write_report(out, data, results, signals, ingested, GUIDELINE)
    console.rule("[bold]Where to look")
    console.print(f"Report (open in a browser): [bold]{report}[/]")
    console.print(f"Lab files as labs send them: {data}/whonet, lis, fhir, hl7")
    console.print(f"What really happened (seeded events): {data / 'ground_truth.json'}")
    console.print(f"Store (DuckDB): {store_path}  —  try `amrwatch status --db {store_path}`")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
