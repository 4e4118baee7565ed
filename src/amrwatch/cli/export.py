"""`amrwatch export glass` and `amrwatch validate glass`: WHO GLASS-AMR files and their upload checks."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

console = Console()
export_app = typer.Typer(help="Write files for international reporting (WHO GLASS-AMR).")
validate_app = typer.Typer(help="Check files before they are submitted (WHO GLASS-AMR).")
OutFolderOption = typer.Option(..., "--out", help="Folder for RIS_/SAMPLE_/AMR-I_<ISO3>_<YEAR>_<BATCH>.csv.")
ModuleOption = typer.Option(["ris", "sample"], "--module",
                            help="ris, sample and/or amr-i (repeat the option).")
InputFileOption = typer.Option(None, "--input", help="A results table instead of the store.",
                               show_default=False)
FolderArg = typer.Argument(..., help="Folder (or one file) of GLASS RIS/SAMPLE/AMR-I files.")


@export_app.command("glass")
def export_glass(
    country: str = typer.Option(..., help="Country, ISO 3166-1 alpha-3 (e.g. ARG)."),
    year: int = typer.Option(..., help="Surveillance year (calendar year of the specimen date)."),
    out: Path = OutFolderOption,
    module: list[str] = ModuleOption,
    batch: str = typer.Option("DS1", help="GLASS dataset DS1…DS6."),
    source: Path = InputFileOption,
    db: str = typer.Option(None, "--db", help="Store (DuckDB file or postgresql:// URL).",
                           show_default=False),
    guideline: str = typer.Option(None, help='Interpretation to report, e.g. "EUCAST 2025" '
                                  "(default: the latest).", show_default=False),
) -> None:
    """Write the GLASS RIS and SAMPLE (and AMR-I) files of one country and year, then check them."""
    from amrwatch.cli.analyse import load
    from amrwatch.export.glass import glass_tables, write_glass
    from amrwatch.export.glass_validate import validate_folder

    if source is not None:
        table = load(source, None)
    else:  # the store: --db, else $AMRWATCH_DB, else amrwatch.duckdb here
        from amrwatch.store import open_store

        with open_store(db, create=False) as store:
            table = store.isolate_results(guideline=guideline, country=country)
    tables = glass_tables(table, country, year, batch, tuple(module))
    for path in write_glass(tables, out, country, year, batch):
        console.print(f"Wrote {path}")
    _report(validate_folder(out, country, str(year), batch))


@validate_app.command("glass")
def validate_glass(
    folder: Path = FolderArg,
    country: str = typer.Option(None, help="Submission country (default: from the file names).",
                                show_default=False),
    year: str = typer.Option(None, help="Submission year (default: from the file names).",
                             show_default=False),
    batch: str = typer.Option(None, help="Submission batch DS1…DS6 (default: from the file names).",
                              show_default=False),
) -> None:
    """Apply the GLASS platform's upload checks and print its own messages, with file and row."""
    from amrwatch.export.glass_validate import validate_folder

    _report(validate_folder(folder, country, year, batch))


def _report(problems) -> None:
    from amrwatch.errors import InputError

    if problems.num_rows == 0:
        console.print("[green]All GLASS checks passed.[/]")
        return
    view = Table("file", "row", "check", "message", title="GLASS upload checks")
    for row in problems.slice(0, 50).to_pylist():  # at most 50 lines on screen
        view.add_row(row["file"], "" if row["row"] is None else str(row["row"]), row["check"],
                     row["message"])
    console.print(view)
    raise InputError(f"{problems.num_rows} GLASS check(s) failed",
                     hint="correct the rows listed above and export or validate again")


def register(app: typer.Typer) -> None:
    app.add_typer(export_app, name="export")
    app.add_typer(validate_app, name="validate")
