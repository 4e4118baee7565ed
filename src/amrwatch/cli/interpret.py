"""`amrwatch interpret`: re-interpret raw MICs and zones of a file under one guideline version.

Also registers `amrwatch bench interpret` (rows/s and peak memory, in memory and file to file).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from amrwatch.cli.bench import bench_app, peak_rss_mib

console = Console()

#: Typer parameters declared once (module-level singletons, as the other command groups do).
INPUT = typer.Argument(..., metavar="INPUT", help="TSV, CSV or Parquet file with organism, "
                       "antimicrobial, method and value columns.")
OUTPUT = typer.Option(..., "--output", "-o", help="Where to write the result (.tsv, .csv or .parquet).")
BENCH_FOLDER = typer.Option(Path("/tmp"), help="Folder for the file-to-file run.")


def interpret_command(
    input_file: Path = INPUT,
    output: Path = OUTPUT,
    guideline: str = typer.Option("EUCAST 2025", help='Guideline and year, e.g. "CLSI 2024".'),
    policy: str = typer.Option("default", help="Interpretation policy: default or amr "
                                               "(reproduces the AMR R package 3.0.0)."),
    capped_mic_handling: str = typer.Option(
        "standard", help="How to read <=, >=, <, > MICs: none, conservative, standard, lenient."),
    source: str = typer.Option(None, help="Folder with your own WHONET AMRIE tables "
                                          "(default: the bundled AMR breakpoints)."),
    summary: bool = typer.Option(False, "--summary",
                                 help="Print how many results got each category and reason."),
    language: str = typer.Option(None, help="Language of the summary: es, pt, en or fr "
                                            "(default: from LANG, else English)."),
) -> None:
    """Interpret every MIC and zone diameter in INPUT; every row gets a category or a reason."""
    from amrwatch.interpret import interpret
    from amrwatch.tables import read_table, write_table

    start = time.perf_counter()
    result = interpret(read_table(input_file), guideline=guideline, policy=policy,
                       capped_mic_handling=capped_mic_handling, source=source)
    write_table(result, output)
    console.print(f"Interpreted {result.num_rows:,} results under {guideline} "
                  f"(policy {policy}) in {time.perf_counter() - start:.1f} s -> {output}")
    if summary:
        console.print(_summary(result, language or os.environ.get("LANG", "en")[:2]))
        for reason, column in _UNRESOLVED.items():
            if line := _most_frequent(result, reason, column):
                console.print(line, highlight=False)


#: for these reasons, the texts to fix are in this input column
_UNRESOLVED = {"unresolved_organism": "organism", "unresolved_antimicrobial": "antimicrobial",
               "unparseable_value": "value", "unknown_method": "method"}


def _most_frequent(result, reason: str, column: str, top: int = 5) -> str:
    """'unresolved_organism: "xyz" (120), ...': the texts a data manager should map or correct."""
    import pyarrow.compute as pc

    rows = result.filter(pc.equal(result["reason"], reason))
    if rows.num_rows == 0:
        return ""
    counts = rows.group_by(column).aggregate([([], "count_all")]).sort_by(
        [("count_all", "descending")]).slice(0, top).to_pylist()
    return f"{reason}, most frequent {column} texts: " + ", ".join(
        f'"{row[column]}" ({row["count_all"]:,})' for row in counts)


def _summary(result, language: str) -> Table:
    """Counts per reason and category, largest first, with what each reason means."""
    from amrwatch.interpret.reasons import describe

    counts = result.group_by(["reason", "sir"]).aggregate([("reason", "count")])
    rows = sorted(counts.to_pylist(), key=lambda r: -r["reason_count"])
    view = Table("reason", "category", "results", "share", "what it means")
    for row in rows:
        view.add_row(row["reason"], row["sir"] or "-", f"{row['reason_count']:,}",
                     f"{row['reason_count'] / max(result.num_rows, 1):.1%}",
                     describe(row["reason"], language))
    return view


@bench_app.command("interpret")
def bench_interpret(
    rows: int = typer.Option(10_000_000, help="Number of AST rows to interpret."),
    guideline: str = typer.Option("EUCAST 2025", help="Guideline to interpret under."),
    folder: Path = BENCH_FOLDER,
) -> None:
    """Interpret ROWS synthetic AST results (>= 200 organism/drug pairs, MIC and disk, capped
    values): rows/s and peak memory in memory (Arrow in, Arrow out) and file to file (Parquet)."""
    from amrwatch.interpret import interpret
    from amrwatch.interpret.benchmark import pairs, workload
    from amrwatch.tables import read_table, write_table

    table = workload(rows)
    interpret(table.slice(0, 1000), guideline=guideline)  # builds the guideline's tables once
    view = Table("run", "rows", "seconds", "rows/s", "peak MiB")
    start = time.perf_counter()
    interpret(table, guideline=guideline)
    seconds = time.perf_counter() - start
    view.add_row("in memory", f"{rows:,}", f"{seconds:.2f}", f"{rows / seconds:,.0f}",
                 f"{peak_rss_mib():,.0f}")
    source, target = folder / "amrwatch-bench-ast.parquet", folder / "amrwatch-bench-sir.parquet"
    write_table(table, source)
    del table
    start = time.perf_counter()
    write_table(interpret(read_table(source), guideline=guideline), target)
    seconds = time.perf_counter() - start
    view.add_row("file to file (Parquet)", f"{rows:,}", f"{seconds:.2f}", f"{rows / seconds:,.0f}",
                 f"{peak_rss_mib():,.0f}")
    source.unlink()
    target.unlink()
    console.print(f"{pairs().num_rows} organism/antimicrobial/method combinations, {guideline}")
    console.print(view)


def register(app: typer.Typer) -> None:
    app.command("interpret")(interpret_command)
