"""`amrwatch status`, `amrwatch reinterpret`, `amrwatch db migrate` and `amrwatch bench ingest`.

Every command takes `--db` (a DuckDB file or a postgresql:// URL; default $AMRWATCH_DB, else
amrwatch.duckdb in the working folder).
"""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from amrwatch.cli.bench import bench_app, peak_rss_mib

console = Console()
db_app = typer.Typer(help="The store itself: create or upgrade its schema.")

DB_HELP = ("Store: a DuckDB file path or a postgresql:// URL "
           "(default: $AMRWATCH_DB, else amrwatch.duckdb here).")
DbOption = typer.Option(None, "--db", help=DB_HELP, show_default=False)


def status(db: str = DbOption,
           as_json: bool = typer.Option(False, "--json", help="Print the counts as JSON.")) -> None:
    """Count labs, uploads, patients, isolates, AST results and interpretations by guideline."""
    from amrwatch.store import open_store

    with open_store(db, create=False) as store:
        counts = store.status()
    if as_json:
        typer.echo(json.dumps(counts, indent=2, ensure_ascii=False))
        return
    view = Table("", "count", title=f"Store {counts['store']} ({counts['backend']}, "
                 f"schema version {counts['schema_version']})")
    for name in ("labs", "uploads", "patients", "isolates", "ast_results"):
        view.add_row(name.replace("_", " ").replace("ast", "AST"), f"{counts[name]:,}")
    for guideline, rows in counts["interpretations"].items():
        view.add_row(f"interpretations, {guideline}", f"{rows:,}")
    console.print(view)


def reinterpret(
    guideline: str = typer.Option(
        ..., help='Guideline version, e.g. "EUCAST 2025" or "CLSI 2024".'),
    policy: str = typer.Option("default", help="Interpretation policy (see docs/interpret.md)."),
    db: str = DbOption,
) -> None:
    """Interpret every stored MIC and zone under one guideline, keeping other versions."""
    from amrwatch.store import open_store

    with (open_store(db, create=False) as store,
          console.status(f"Interpreting all AST results under {guideline}…")):
        summary = store.reinterpret(guideline, policy=policy)
    console.print(f"{summary['interpretations']:,} AST results interpreted under "
                  f"{summary['guideline']} (policy {summary['policy']}); "
                  "earlier guideline versions are kept.")


@db_app.command("migrate")
def migrate(db: str = DbOption) -> None:
    """Create the store, or bring its schema up to this amrwatch's version."""
    from amrwatch.store import open_store

    with open_store(db, migrate=False) as store:
        applied = store.migrate()
        version = store.schema_version()
        location = store.location
    if applied:
        console.print(f"Applied schema versions {', '.join(map(str, applied))} to {location}.")
    else:
        console.print(f"{location} is up to date (schema version {version}).")


@bench_app.command("ingest")
def bench_ingest(
    isolates: int = typer.Option(1_000_000, help="Isolates in the synthetic upload."),
    postgres: str = typer.Option(
        "postgresql://postgres@127.0.0.1:5432/test",
        envvar="AMRWATCH_TEST_POSTGRES", help="PostgreSQL server for the hub figures."),
    skip_postgres: bool = typer.Option(False, help="Only measure DuckDB."),
) -> None:
    """Store write alone: ready-made ISOLATE/AST_RESULT tables (12 AST results per isolate)
    into DuckDB and PostgreSQL. `bench read` times file -> read -> store end to end."""
    from amrwatch.store.benchmark import measure_duckdb, measure_postgres, synthetic_upload

    upload, seconds = synthetic_upload(isolates)
    console.print(f"Generated {isolates:,} isolates, {upload[1].num_rows:,} AST results "
                  f"in {seconds:.1f} s")
    view = Table("store", "AST rows already stored", "seconds", "CPU s", "AST rows/s",
                 "isolates/s", "peak RSS MiB")
    figures = measure_duckdb(upload)
    if not skip_postgres:
        figures += measure_postgres(upload, postgres)
    for figure in figures:
        if "skipped" in figure:
            console.print(f"[yellow]{figure['store']}: skipped, {figure['skipped']}[/]")
            continue
        view.add_row(figure["store"], f"{figure['held']:,}", f"{figure['seconds']:.2f}",
                     f"{figure['cpu_seconds']:.2f}",
                     f"{figure['ast_rows_per_s']:,.0f}", f"{figure['isolates_per_s']:,.0f}",
                     f"{peak_rss_mib():,.0f}")
    console.print(view)


def register(app: typer.Typer) -> None:
    app.command("status")(status)
    app.command("reinterpret")(reinterpret)
    app.add_typer(db_app, name="db")
