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
    totals: dict[str, Any] = {"files": 0, "isolates": 0, "ast_results": 0, "issues": 0, "failed": []}
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


#: Scans the demo runs: seeded event, what counts as a case (SQL over the interpreted results).
SCANS = {
    "kpc-border-cluster": "mo LIKE 'B_KLBSL_PNMN%' AND ab IN ('MEM', 'IPM', 'ETP') AND sir = 'R'",
    "mrsa-hospital-outbreak": "mo LIKE 'B_STPHY_AURS%' AND ab IN ('OXA', 'FOX') AND sir = 'R'",
}


def _scan(results, data: Path) -> list[tuple[str, Any, Any]]:
    """Space-time scans run as on the last day of each seeded cluster: (event, end, clusters)."""
    import datetime as dt
    import json

    import duckdb
    import pyarrow as pa

    from amrwatch.detect.runner import scan_groups
    from amrwatch.detect.scan import SpaceTimeScan

    truth = {e["id"]: e for e in json.loads(
        (data / "ground_truth.json").read_text(encoding="utf-8"))["events"]}
    labs = pd.read_csv(data / "labs.tsv", sep="\t")
    registry = pa.table({"lab_code": labs.lab_code, "latitude": labs.lat,
                         "longitude": labs.lon, "country": labs.country})
    con = duckdb.connect()
    con.register("results", results)
    found = []
    for event, condition in SCANS.items():  # two scans
        end = dt.date.fromisoformat(truth[event]["last_specimen_date"][:10])
        cases = con.sql(f"""SELECT lab_code, min(specimen_date)::DATE AS specimen_date
                            FROM results WHERE {condition} GROUP BY lab_code, isolate_id""")
        clusters, _ = scan_groups(cases.to_arrow_table(), registry,
                                  SpaceTimeScan(replications=199), [], end)
        found.append((event, end, clusters))
    return found


def _aberrations(results):
    """Farrington over weekly colistin-resistant Enterobacterales isolates, one series per country."""
    import duckdb

    from amrwatch.detect import detect_aberrations, detector

    con = duckdb.connect()
    con.register("results", results)
    weekly = con.sql("""
        WITH cases AS (SELECT DISTINCT country, lab_code, isolate_id,
                              datediff('week', DATE '2021-01-04', specimen_date::DATE) AS week
                       FROM results WHERE ab = 'COL' AND sir = 'R'
                         AND (mo LIKE 'B_ESCHR_COLI%' OR mo LIKE 'B_KLBSL_PNMN%')),
             grid AS (SELECT c.country AS series_id, w.week_index
                      FROM (SELECT DISTINCT country FROM results) c,
                           range(0, 261) w(week_index))
        SELECT g.series_id, g.week_index::BIGINT AS week_index,
               count(cases.isolate_id)::BIGINT AS observed
        FROM grid g LEFT JOIN cases ON cases.country = g.series_id AND cases.week = g.week_index
        GROUP BY ALL ORDER BY ALL""").to_arrow_table()
    return detect_aberrations(weekly, detector("farrington", b=3))


def _alerts(store_path: Path, signals) -> int:
    """Raise alerts for the rule signals (routed by the alert stage's data/routing.yaml)."""
    from amrwatch.alert import raise_alerts
    from amrwatch.store import open_store

    with open_store(store_path) as store:
        return raise_alerts(store, signals)


def _glass(results, out: Path) -> list[Path]:
    """GLASS RIS, SAMPLE and AMR-I files for Peru 2023 (the year of its guideline change)."""
    from amrwatch.export.glass import glass_tables, write_glass

    return write_glass(glass_tables(results, "PER", 2023), out / "glass", "PER", 2023, "DS1")


def _users(store_path: Path) -> list[dict]:
    """One dashboard login per role (the web stage decides who they are)."""
    from amrwatch.api.serving import demo_users
    from amrwatch.store import open_store

    with open_store(store_path) as store:
        return demo_users(store)


DemoOutOption = typer.Option(Path("demo-output"), help="Folder for the demo data, store and report.")


def demo(
    out: Path = DemoOutOption,
    isolates: int = typer.Option(10_000, help="Number of synthetic isolates to generate."),
    seed: int = typer.Option(2026, help="Random seed; the same seed gives the same files."),
    serve: bool = typer.Option(False, "--serve", help="Start the dashboard at the end."),
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
    signals = _stage("Detection rules", _signals, results) if results is not None else None
    scanned = _stage("Space-time scan", _scan, results, data) if results is not None else None
    aberrations = _stage("Aberration detection", _aberrations, results) \
        if results is not None else None
    if signals is not None:
        alerts = _stage("Alerts", _alerts, store_path, signals)
        if alerts is not None:
            console.print(f"Raised {alerts:,} alerts from {signals.num_rows:,} rule signals; "
                          "responders see them in the dashboard.")
    glass = _stage("GLASS export", _glass, results, out) if results is not None else None
    if glass:
        console.print(f"GLASS files for Peru 2023: {', '.join(p.name for p in glass)}")
    logins = _stage("Dashboard users", _users, store_path) if ingested else None
    report = write_report(out, data, results, signals, ingested, GUIDELINE, scanned, aberrations)
    console.rule("[bold]Where to look")
    console.print(f"Report (open in a browser): [bold]{report}[/]")
    console.print(f"Lab files as labs send them: {data}/whonet, lis, fhir, hl7")
    console.print(f"What really happened (seeded events): {data / 'ground_truth.json'}")
    console.print(f"Store (DuckDB): {store_path}  —  try `amrwatch status --db {store_path}`")
    if serve and logins:
        from amrwatch.api.serving import serve_demo
        from amrwatch.store import open_store

        with open_store(store_path) as store:
            serve_demo(store, console=console)
    elif logins:
        console.print(f"Dashboard: `amrwatch serve --db {store_path}`, then open "
                      "http://127.0.0.1:8000/ and log in as one of (password / role, scope):")
        for row in logins:
            scope = ", ".join(x for x in (row["country"], row["lab"]) if x) or "whole region"
            console.print(f"  {row['user']:<10} {row['password']} / {row['role']}, {scope}")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
