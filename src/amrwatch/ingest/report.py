"""Validation issues of one upload: collected while reading, printed, and written as JSON and HTML.

Takes issues as they are found (one at a time for file-level problems, whole Arrow columns at a
time for row and result problems); gives a `amrwatch.schemas.VALIDATION_ISSUE` table, a rich table
for the terminal, and JSON/HTML report files. Every reason code comes from the closed set in
`data/reasons.tsv` (documented in docs/ingest.md); an unknown code is a bug and raises.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from amrwatch.ingest.data import rows
from amrwatch.schemas import VALIDATION_ISSUE


@cache
def reasons() -> dict[str, dict[str, str]]:
    """The closed set of reason codes: reason -> {level, severity, meaning, what_to_do}."""
    return {row["reason"]: row for row in rows("reasons.tsv")}


#: Languages of the report's advice (data/reasons_i18n.tsv); English is in reasons.tsv.
LANGUAGES = ("en", "es", "pt", "fr")


@cache
def _advice() -> dict[str, dict[str, str]]:
    return {row["reason"]: row for row in rows("reasons_i18n.tsv")}


def what_to_do(reason: str, language: str = "en") -> str:
    """The advice for a reason code in `language` (es, pt, fr; English otherwise)."""
    if language in ("es", "pt", "fr"):
        return _advice()[reason][language]
    return reasons()[reason]["what_to_do"]


class Issues:
    """Collects the issues of one file; `table()` gives them in file order."""

    def __init__(self, file: str) -> None:
        self.file = file
        self._parts: list[pa.Table] = []

    def add(self, reason: str, *, row: int | None = None, column: str | None = None,
            value: object = None, message: str | None = None, severity: str | None = None) -> None:
        """One issue (a file-level problem, or one row of a FHIR/HL7 message)."""
        self.add_many(reason, pa.array([row], pa.int64()), column,
                      pa.array([None if value is None else str(value)], pa.string()), message,
                      severity)

    def add_many(self, reason: str, rows_: pa.Array, column: str | pa.Array | None,
                 values: pa.Array | None, message: str | None = None,
                 severity: str | None = None) -> None:
        """The same reason for many rows at once; `column` is one name or one per row.

        `severity` overrides the reason's usual one where the same problem matters less (an
        unreadable birth date only costs the age: a warning, not a rejected row).
        """
        info = reasons()[reason]  # KeyError = a reason outside the closed set: a bug
        n = len(rows_)
        if n == 0:
            return
        columns = column if isinstance(column, pa.Array | pa.ChunkedArray) else _repeat(column, n)
        self._parts.append(pa.table({
            "file": _repeat(self.file, n),
            "row": pc.cast(rows_, pa.int64()),
            "column": pc.cast(columns, pa.string()),
            "value": pa.nulls(n, pa.string()) if values is None else pc.cast(values, pa.string()),
            "severity": _repeat(severity or info["severity"], n),
            "reason": _repeat(reason, n),
            "message": _repeat(message or info["meaning"], n),
        }, schema=VALIDATION_ISSUE))

    def table(self) -> pa.Table:
        if not self._parts:
            return VALIDATION_ISSUE.empty_table()
        issues = pa.concat_tables(self._parts)
        return issues.sort_by([("row", "ascending", "at_start"),
                               ("column", "ascending", "at_start")])


def _repeat(value: str | None, n: int) -> pa.Array:
    return pa.repeat(pa.scalar(value, pa.string()), n)


def summary(issues: pa.Table, language: str = "en") -> list[dict[str, Any]]:
    """Counts per (severity, reason): errors first, then the most frequent, with what to do."""
    if issues.num_rows == 0:
        return []
    grouped = issues.group_by(["severity", "reason"]).aggregate(
        [([], "count_all"), ("value", "min"), ("column", "distinct")]
    ).sort_by([("severity", "ascending"), ("count_all", "descending"), ("reason", "ascending")])
    return [
        {"severity": r["severity"], "reason": r["reason"], "column": _few(r["column_distinct"]),
         "count": r["count_all"], "example": r["value_min"],
         "what_to_do": what_to_do(r["reason"], language)}
        for r in grouped.to_pylist()
    ]


def _few(names: list[str | None], limit: int = 4) -> str:
    shown = sorted(n for n in names if n)
    more = f" +{len(shown) - limit}" if len(shown) > limit else ""
    return ", ".join(shown[:limit]) + more


def as_json(report: dict[str, Any], issues: pa.Table) -> str:
    """The report (counts, quality, summary) plus every issue, as JSON."""
    return json.dumps({**report, "issues": issues.to_pylist()}, ensure_ascii=False, indent=1,
                      default=str)


def write_reports(report: dict[str, Any], issues: pa.Table, directory: Path,
                  language: str = "en") -> tuple[Path, Path]:
    """Write `<file>.report.json` and `<file>.report.html` into `directory`; return both paths."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    stem = Path(report["file"]).name
    json_path = directory / f"{stem}.report.json"
    html_path = directory / f"{stem}.report.html"
    json_path.write_text(as_json({k: v for k, v in report.items() if k != "issues"}, issues),
                         encoding="utf-8")
    env = Environment(loader=PackageLoader("amrwatch.ingest", "templates"),
                      autoescape=select_autoescape(["html"]))
    html = env.get_template("report.html").render(
        report=report, summary=summary(issues, language), language=language,
        issues=issues.slice(0, 5000).to_pylist(),
        shown=min(issues.num_rows, 5000), total=issues.num_rows,
    )
    html_path.write_text(html, encoding="utf-8")
    return json_path, html_path


def print_report(report: dict[str, Any], issues: pa.Table, console: Any, limit: int = 20,
                 language: str = "en") -> None:
    """Counts, quality score and the most frequent problems as rich tables."""
    from rich.table import Column, Table

    counts = report["counts"]
    console.print(
        f"[bold]{report['file']}[/] ({report['reader']}, {report.get('encoding') or '-'}): "
        f"{counts['isolates_accepted']:,} of {counts['isolates_read']:,} isolates accepted "
        f"({counts['rows_rejected']:,} of {counts['rows_read']:,} rows rejected), "
        f"{counts['results_accepted']:,} of {counts['results_read']:,} antimicrobial results."
    )
    quality = report.get("quality") or {}
    if quality.get("score") is not None:
        parts = ", ".join(f"{k} {v:.0%}" for k, v in quality["components"].items() if v is not None)
        console.print(f"Data quality {quality['score']:.0%} ({parts})")
    rows_ = summary(issues, language)
    if not rows_:
        console.print("No problems found.")
        return
    view = Table("severity", Column("reason", no_wrap=True), "columns", "count", "example",
                 "what to do")
    for row in rows_[:limit]:
        colour = "red" if row["severity"] == "error" else "yellow"
        view.add_row(f"[{colour}]{row['severity']}[/]", row["reason"], row["column"],
                     f"{row['count']:,}", row["example"] or "", row["what_to_do"])
    console.print(view)
    if len(rows_) > limit:
        console.print(f"… {len(rows_) - limit} more kinds of problem in the JSON/HTML report.")
