"""`amrwatch codes`: what organism / antimicrobial names and codes become, and what needs review."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from amrwatch.cli.bench import bench_app, peak_rss_mib

codes_app = typer.Typer(help="Organism and antimicrobial names and codes: resolve them, review doubts.")
console = Console()


def _sureness(row: dict, code: str) -> str:
    if row[code] is None:
        return "[red]not found[/]"
    return "[yellow]check[/]" if row["uncertain"] else "[green]sure[/]"


TermsArg = typer.Argument(..., help="Names or codes, e.g. \"E. coli\" eco B_ESCHR_COLI 112283007")
ResolveMappingOption = typer.Option(None, help="Your lab's mapping file (columns term, maps_to).")


@codes_app.command("resolve")
def resolve(
    terms: list[str] = TermsArg,
    antimicrobial: bool = typer.Option(False, "--antimicrobial", "-a",
                                       help="The terms are antimicrobials, not organisms."),
    coding: str = typer.Option("auto", help="For antimicrobials: auto, whonet or amr (STR, SUD, ROX differ)."),
    mapping: Path = ResolveMappingOption,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Show what each term becomes, and how sure the match is."""
    from amrwatch.codes.mapping import read_mapping

    lab_map = read_mapping(mapping) if mapping else None
    if antimicrobial:
        from amrwatch.codes import resolve_antimicrobials

        rows = resolve_antimicrobials(terms, coding=coding, mapping=lab_map).to_pylist()
        code, name, extra = "ab", "name", "drug_class"
    else:
        from amrwatch.codes import resolve_organisms

        rows = resolve_organisms(terms, mapping=lab_map).to_pylist()
        code, name, extra = "mo", "fullname", "rank"
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    view = Table("you wrote", "code", "name", extra.replace("_", " "), "score", "", "matched on", "reason")
    for row in rows:
        view.add_row(str(row["input"]), row[code] or "", row[name] or "", row[extra] or "",
                     f"{row['score']:.2f}", _sureness(row, code), row["matched_on"] or "", row["reason"])
    console.print(view)


ReviewFileArg = typer.Argument(..., help="A TSV, CSV or Parquet file of isolates.")
ReviewColumnOption = typer.Option(None, "--column", "-c", help="Column to review (repeatable). "
                                  "Default: the organism column, found by its header.")
ReviewMappingOption = typer.Option(None, help="Your lab's mapping file (columns term, maps_to): "
                                   "mapped terms are no longer listed.")
TemplateOption = typer.Option(None, help="Also write the terms to this TSV/CSV with an empty "
                              "maps_to column, to fill in and pass back as --mapping.")


@codes_app.command("review")
def review_command(
    file: Path = ReviewFileArg,
    column: list[str] = ReviewColumnOption,
    antimicrobial: bool = typer.Option(False, "--antimicrobial", "-a",
                                       help="The column holds antimicrobials."),
    headers: bool = typer.Option(False, "--headers", help="Review the column NAMES as antimicrobials "
                                 "(WHONET-style exports with one column per test, e.g. AMP_ND10)."),
    mapping: Path = ReviewMappingOption,
    template: Path = TemplateOption,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    limit: int = typer.Option(50, help="Show at most this many terms per column."),
) -> None:
    """List the distinct terms that did not resolve, or need a check, with counts and suggestions."""
    import pyarrow as pa

    from amrwatch.codes.mapping import read_mapping, write_template
    from amrwatch.codes.review import Kind, guess_organism_column, review
    from amrwatch.errors import InputError
    from amrwatch.tables import read_table

    data = read_table(file)
    lab_map = read_mapping(mapping) if mapping else None
    if headers:
        report = {"(column names)": review(pa.array(data.column_names), "antimicrobial", lab_map)[:limit]}
    else:
        columns = column or [guess_organism_column(data)]
        unknown = [name for name in columns if name not in data.column_names]
        if unknown:
            raise InputError("Column not in file", {"file": str(file), "column": ", ".join(unknown)},
                             hint="columns are: " + ", ".join(data.column_names[:30]))
        kind: Kind = "antimicrobial" if antimicrobial else "organism"
        report = {name: review(data[name], kind, lab_map)[:limit] for name in columns}
    if template is not None:
        write_template([row for rows in report.values() for row in rows], template)
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    for name, rows in report.items():
        _print_review(file, name, rows)


def _print_review(file: Path, column: str, rows: list[dict]) -> None:
    if not rows:
        console.print(f"[green]{file.name}, column {column}: every term resolved with certainty.[/]")
        return
    view = Table("term", "rows", "became", "reason", "suggestions",
                 title=f"{file.name}, column {column}: {len(rows)} term(s) to review")
    for row in rows:
        became = f"{row['code']} {row['name']}" if row["code"] else "—"
        hints = "; ".join(f"{s['code']} {s['name']} ({s['similarity']:.0%})" for s in row["suggestions"])
        view.add_row(str(row["term"]), f"{row['count']:,}", became, row["reason"], hints or "—")
    console.print(view)
    console.print("Write a mapping for these terms, or correct them at the source.")


WhonetFolderOption = typer.Option(None, help="Imported WHONET folder (default: $AMRWATCH_HOME/whonet).")
ConcordanceOutOption = typer.Option(None, help="Write the Markdown report here (default: print a summary).")


@codes_app.command("whonet-concordance")
def whonet_concordance(
    whonet: Path = WhonetFolderOption,
    out: Path = ConcordanceOutOption,
) -> None:
    """Check WHONET's current organism codes against the AMR tables; list every exception."""
    from amrwatch.codes.whonet_map import concordance_markdown, concordance_report
    from amrwatch.errors import ReferenceDataError
    from amrwatch.refdata.whonet import load

    tables = load(whonet)
    if tables is None:
        raise ReferenceDataError("No imported WHONET tables", {"folder": str(whonet or "default")},
                                 hint="run `amrwatch refdata import-whonet DIR` first")
    report = concordance_report(tables)
    if out is not None:
        out.write_text(concordance_markdown(report, tables.manifest), encoding="utf-8")
    console.print(f"{report['current_codes']:,} current WHONET codes; {report['names_known_to_amr']:,} "
                  f"name an organism of the AMR taxonomy. Same species by AMR's code table: "
                  f"{report['amr_code_agreement']:.1%}; by amrwatch: {report['amrwatch_agreement']:.1%}; "
                  f"{len(report['exceptions'])} exceptions" + (f" written to {out}" if out else ""))


@bench_app.command("codes")
def bench_codes(
    values: int = typer.Option(1_000_000, help="Number of values to resolve."),
    distinct: int = typer.Option(500, help="Number of distinct terms among them."),
) -> None:
    """Organism resolution throughput: VALUES cells drawn from DISTINCT realistic terms."""
    from amrwatch.codes.bench import sample_terms, spread
    from amrwatch.codes.fuzzy import organism_candidates
    from amrwatch.codes.organisms import resolve_organisms
    from amrwatch.codes.taxonomy import vocabulary

    start = time.perf_counter()
    vocabulary()
    organism_candidates("warm up")  # builds the fuzzy index, also once per process
    load = time.perf_counter() - start
    terms = sample_terms(distinct)
    column = spread(terms, values)
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        result = resolve_organisms(column)
        timings.append(time.perf_counter() - start)
    resolved = result["mo"].is_valid().to_numpy(zero_copy_only=False).mean()
    console.print(f"vocabulary and fuzzy index load (once per process): {load:.2f} s")
    console.print(f"resolve {values:,} values / {len(terms)} distinct terms: "
                  f"first {timings[0]:.3f} s ({values / timings[0]:,.0f} values/s), "
                  f"repeat {min(timings[1:]):.3f} s; {resolved:.1%} resolved; "
                  f"peak memory {peak_rss_mib():.0f} MiB")


def register(app: typer.Typer) -> None:
    app.add_typer(codes_app, name="codes")
