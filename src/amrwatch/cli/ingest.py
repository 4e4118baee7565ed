"""`amrwatch ingest` (a lab's file into the store, with a validation report) and
`amrwatch pseudonymise` (run at the lab: a copy of an export without personal identifiers)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from amrwatch.cli.bench import bench_app

console = Console()
FORMATS = "whonet|csv|excel|fhir|hl7"

ExportArg = typer.Argument(..., help="The lab's export: WHONET, CSV/Excel, FHIR JSON, HL7.")
IngestMappingOption = typer.Option(None, "--mapping", help="YAML mapping of a LIS CSV/Excel file.")
IngestKeyFileOption = typer.Option(None, "--key-file", help="The lab's pseudonymisation key "
                                   "(default: $AMRWATCH_HOME/keys/<lab>.key, created if absent).")
ReportDirOption = typer.Option(Path("amrwatch-reports"), "--report-dir",
                               help="Folder for the JSON and HTML reports.")


def ingest(
    file: Path = ExportArg,
    lab: str = typer.Option(..., "--lab", help="Laboratory code, e.g. AR-001."),
    country: str = typer.Option(..., "--country", help="ISO 3166-1 alpha-3 code, e.g. ARG."),
    format: str | None = typer.Option(None, "--format", help=f"{FORMATS} (default: recognised)."),
    mapping: Path | None = IngestMappingOption,
    db: str | None = typer.Option(None, "--db", help="Store: DuckDB file or postgresql:// URL "
                           "(default: $AMRWATCH_DB, else amrwatch.duckdb here)."),
    date_order: str | None = typer.Option(None, "--date-order", help="dmy, mdy or ymd (default: "
                                          "read from the dates, refused when ambiguous)."),
    guideline: str | None = typer.Option(None, "--guideline", help='Guideline the lab reports '
                                         'S/I/R under, e.g. "CLSI 2023" (checks its categories).'),
    interpret: str | None = typer.Option(None, "--interpret", help='Also interpret the new results '
                                  'under this guideline, e.g. "EUCAST 2025" (they are always '
                                  'interpreted under the guidelines the store already keeps).'),
    key_file: Path | None = IngestKeyFileOption,
    report_dir: Path = ReportDirOption,
    strict: bool = typer.Option(False, "--strict", help="Refuse a file that still carries "
                                "names, birth dates or raw patient ids."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Validate and report; store nothing."),
    language: str | None = typer.Option(None, "--language", help="Language of the report's "
                                        "advice: es, pt, en or fr (default: from $LANG)."),
) -> None:
    """Read a lab's file, validate every row, pseudonymise patients and store accepted rows.

    Settings a lab always uses (date order, guideline, mapping, format) can be written once in
    $AMRWATCH_HOME/labs/<lab>.yaml; options given here win.
    """
    from amrwatch.errors import InputError
    from amrwatch.ingest import read_upload
    from amrwatch.ingest.labsettings import lab_settings
    from amrwatch.ingest.pseudonymise import key_path, load_or_create_key
    from amrwatch.ingest.report import print_report, write_reports

    saved = lab_settings(lab)  # the command line wins over the lab's settings file
    format, mapping = format or saved.format, mapping or saved.mapping
    date_order, guideline = date_order or saved.date_order, guideline or saved.guideline

    key, created = load_or_create_key(key_file or key_path(lab))
    if created:
        console.print(f"Created the pseudonymisation key {key_file or key_path(lab)}; "
                      "back it up: without it the same patients get new pseudonyms.")
    try:
        result = read_upload(file, format, mapping, lab=lab, country=country, key=key,
                             date_order=date_order, lab_guideline=guideline, strict=strict)
    except InputError as error:
        _report_rejected_file(file, lab, country, error, report_dir)
        raise
    report = result.report()
    language = _language(language)
    print_report(report, result.issues, console, language=language)
    json_path, html_path = write_reports(report, result.issues, report_dir, language)
    console.print(f"Report: {html_path} and {json_path}")
    if result.isolates.num_rows == 0:
        raise InputError("No row of the file could be accepted; nothing was stored",
                         {"file": str(file), "errors": result.errors},
                         hint=f"open {html_path} to see why each row was rejected")
    if not dry_run:
        _store(result, db, interpret)


def _language(given: str | None) -> str:
    """es, pt, en or fr: the option, else the environment's LANG, else English."""
    import os

    from amrwatch.errors import ConfigurationError
    from amrwatch.ingest.report import LANGUAGES

    if given is not None and given not in LANGUAGES:
        raise ConfigurationError("Unknown report language", {"setting": "--language",
                                                             "value": given},
                                 hint="use es, pt, en or fr")
    code = given or os.environ.get("LANG", "en")[:2]
    return code if code in LANGUAGES else "en"


def _store(result, db: str | None, interpret: str | None) -> None:
    from amrwatch.store import open_store

    with open_store(db) as store:
        outcome = store.add_upload(result.lab_code, result.country, result.file, result.sha256,
                                   result.reader, result.isolates, result.ast_results,
                                   result.report())
        console.print(outcome.message())
        if outcome.already_ingested:
            return
        # The new results join every interpretation the store already keeps, plus --interpret.
        runs = {(r["guideline"], r["policy"]) for r in store.status()["interpretation_runs"]}
        if interpret:
            runs.add((interpret, "default"))
        for guideline, policy in sorted(runs):
            summary = store.reinterpret(guideline, policy, upload_id=outcome.upload_id)
            console.print(f"{summary['interpretations']:,} results interpreted under "
                          f"{summary['guideline']} (policy {policy}).")
        if runs:
            _detect(store)


def _detect(store) -> None:
    """Detection reruns after every stored upload; an event already alerted is never re-alerted."""
    from amrwatch.alert.detection import detect_and_alert

    found = detect_and_alert(store)
    console.print(f"Detection: {found.signals:,} signals, {found.alerts:,} new alerts raised.")


def _report_rejected_file(file: Path, lab: str, country: str, error, report_dir: Path) -> None:
    """A rejected file still gets its JSON/HTML report, with the one file-level issue."""
    from amrwatch.ingest.report import Issues, reasons, write_reports

    reason = error.context.get("reason")
    if reason not in reasons():
        return
    issues = Issues(file.name)
    issues.add(reason, column=error.context.get("columns"), message=error.message)
    report = {"file": file.name, "reader": None, "sha256": None, "lab_code": lab,
              "country": country, "encoding": None, "quality": None,
              "counts": dict.fromkeys(("rows_read", "isolates_read", "isolates_accepted",
                                       "rows_rejected",
                                       "results_read", "results_accepted"), 0)}
    write_reports(report, issues.table(), report_dir)


IdentifiedExportArg = typer.Argument(..., help="WHONET export or LIS CSV with patient identifiers.")
SecretKeyFileOption = typer.Option(..., "--key-file", help="The lab's secret key (created if "
                                   "absent; keep it at the lab and back it up).")
PseudonymisedOutOption = typer.Option(..., "-o", "--out", help="Where to write the pseudonymised copy.")
PseudonymiseMappingOption = typer.Option(None, "--mapping", help="YAML mapping of a LIS file.")


def pseudonymise(
    file: Path = IdentifiedExportArg,
    key_file: Path = SecretKeyFileOption,
    out: Path = PseudonymisedOutOption,
    mapping: Path | None = PseudonymiseMappingOption,
    date_order: str | None = typer.Option(None, "--date-order", help="dmy, mdy or ymd."),
) -> None:
    """Run at the lab: replace patient ids by keyed pseudonyms, drop names, birth dates and
    comments, and turn birth dates into ages, before a file leaves the laboratory."""
    from amrwatch.ingest.deidentify import check_source, pseudonymise_file
    from amrwatch.ingest.mapping import load_mapping
    from amrwatch.ingest.pseudonymise import load_or_create_key

    lab_mapping = load_mapping(mapping) if mapping else None
    check_source(file, out, lab_mapping)  # before a key is created for a file we cannot use
    key, created = load_or_create_key(key_file)
    if created:
        console.print(f"Created a new key in {key_file}; back it up and keep it at the lab.")
    done = pseudonymise_file(file, key, out, lab_mapping, date_order)
    console.print(
        f"Wrote {out}: {done.rows_written:,} rows; patient id column "
        f"{done.pseudonymised or '(none found)'} pseudonymised; dropped "
        f"{', '.join(done.dropped) or 'no identifier columns'}; "
        f"{done.ages_from_birth_date:,} ages computed from birth dates.")
    if done.rows_skipped:
        console.print(f"[yellow]{done.rows_skipped:,} rows could not be read and were left out "
                      "(wrong number of fields).[/]")


@bench_app.command("read")
def bench_read(
    isolates: int = typer.Option(1_000_000, help="Isolates in the synthetic WHONET export."),
    into: str = typer.Option("duckdb,postgres", "--into", help="Where the results go after "
                             "reading, comma-separated: duckdb, postgres, or none (the readers "
                             "alone, no store)."),
    postgres: str = typer.Option("postgresql://postgres@127.0.0.1:5432/test",
                                 envvar="AMRWATCH_TEST_POSTGRES", help="PostgreSQL server for "
                                 "the postgres figures (a throw-away schema, dropped after)."),
    repeat: int = typer.Option(3, min=1, help="Runs of each --into; the median run is the "
                               "figure (a shared machine's speed varies from run to run)."),
) -> None:
    """End to end: WHONET file -> read, validated, pseudonymised -> stored; AST rows/s.

    A synthetic export (12 result columns) goes through read_upload and Store.add_upload into
    an empty store; each --into runs in a fresh process, so its peak memory is its own.
    `bench ingest` times the store write alone.
    """
    from rich.table import Table

    from amrwatch.errors import ConfigurationError
    from amrwatch.ingest.benchmark import LEGS, measure

    legs = [leg.strip() for leg in into.split(",") if leg.strip()]
    if not legs or set(legs) - set(LEGS):
        raise ConfigurationError("Unknown --into", {"setting": "--into", "value": into},
                                 hint="use duckdb, postgres, none, or a list such as duckdb,none")
    view = Table("into", "run", "AST rows", "read s", "store s", "total s", "user CPU s",
                 "AST rows/s", "peak RSS MiB")
    figures = measure(isolates, legs, postgres, repeat)
    console.print(f"WHONET file of {isolates:,} isolates ({figures[0]['megabytes']:.1f} MB) "
                  "-> read_upload -> Store.add_upload")
    for figure in figures:
        if "skipped" in figure:
            console.print(f"[yellow]{figure['store']}: skipped, {figure['skipped']}[/]")
            continue
        view.add_row(figure["store"], str(figure["run"]), f"{figure['ast_rows']:,}",
                     f"{figure['read_seconds']:.2f}", f"{figure['store_seconds']:.2f}",
                     f"{figure['seconds']:.2f}", f"{figure['cpu_seconds']:.2f}",
                     f"{figure['ast_rows_per_s']:,.0f}", f"{figure['peak_rss_mib']:,.0f}")
    console.print(view)
    for leg in legs:
        rates = sorted(f["ast_rows_per_s"] for f in figures
                       if f["store"] == LEGS[leg] and "skipped" not in f)
        if rates:
            console.print(f"{LEGS[leg]}: median {rates[len(rates) // 2]:,.0f} AST rows/s "
                          f"(runs {rates[0]:,.0f} to {rates[-1]:,.0f})")


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)
    app.command("pseudonymise")(pseudonymise)
