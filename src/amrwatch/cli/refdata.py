"""`amrwatch refdata`: show, rebuild and import reference tables."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

refdata_app = typer.Typer(help="Reference tables: breakpoints, organisms, antimicrobials, rules.")
console = Console()


@refdata_app.command("show")
def show() -> None:
    """List the vendored reference tables with their source, version, licence and row counts."""
    from amrwatch.refdata import manifest

    info = manifest()
    source = info["source"]
    console.print(
        f"[bold]{source['name']}[/] {source['version']} ({source['released']}), "
        f"licence {source['licence']}\n{source['origin']}"
    )
    view = Table("table", "rows", "source sha256")
    for name, entry in sorted(info["tables"].items()):
        view.add_row(name, f"{entry['rows']:,}", entry["source_sha256"][:16] + "…")
    console.print(view)


TsvSourceOption = typer.Option(
    Path("../shared/refdata/amr-r"), help="Folder with the AMR R package TSV exports."
)
BuildOutOption = typer.Option(
    None, help="Output folder (default: the package's own amr_r folder)."
)


@refdata_app.command("build")
def build_command(
    source: Path = TsvSourceOption,
    out: Path = BuildOutOption,
) -> None:
    """Rebuild the vendored AMR tables (zstd Parquet + MANIFEST.json) from their TSV exports."""
    from amrwatch.refdata import AMR_R_DIR
    from amrwatch.refdata.build import build

    result = build(source, out or AMR_R_DIR)
    console.print(f"Built {len(result['tables'])} tables into {out or AMR_R_DIR}")


def register(app: typer.Typer) -> None:
    app.add_typer(refdata_app, name="refdata")


WhonetFolderArg = typer.Argument(..., help="Your WHONET AMRIE folder (Organisms.txt, Breakpoints.txt, ...).")
ImportToOption = typer.Option(None, "--to", help="Where to store the import "
                              "(default: $AMRWATCH_HOME/whonet, AMRWATCH_HOME = ~/.local/share/amrwatch).")


@refdata_app.command("import-whonet")
def import_whonet_command(
    folder: Path = WhonetFolderArg,
    to: Path = ImportToOption,
) -> None:
    """Import your own copy of the WHONET tables, so WHONET codes and breakpoints can be used.

    amrwatch does not ship the WHONET tables (their licence is unclear); each user imports theirs.
    """
    from amrwatch.refdata.whonet import default_dir, import_whonet

    target = to or default_dir()
    manifest = import_whonet(folder, target)
    view = Table("table", "from file", "rows", "sha256")
    for name, entry in manifest["tables"].items():
        view.add_row(name, entry["source_file"], f"{entry['rows']:,}", entry["source_sha256"][:16] + "…")
    console.print(view)
    console.print(f"Imported into {target}")
