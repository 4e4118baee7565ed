"""The demo report: one HTML page with plots (embedded PNGs) of a synthetic dataset's journey.

Takes the demo folder, the generated data folder, the interpreted results (Arrow, or None when a
stage is not available), the detection signals (or None) and the ingest totals; gives the path of
`report.html`. Each section says what it shows and, when its stage is missing, says so.
"""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path
from typing import Any

import duckdb
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

NOT_RUN = ("Not run: this stage is not available yet in this installation, or a stage before it "
           "failed — the console output of `amrwatch demo` says which.")


def _png(figure: plt.Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(figure)
    return f'<img src="data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}">'


def _countries(data: Path) -> str:
    counts = duckdb.connect().execute(
        f"SELECT country, count(*) n FROM '{data}/truth/isolates.parquet' "
        "GROUP BY 1 ORDER BY 2 DESC").df()
    figure, axis = plt.subplots(figsize=(10, 3))
    axis.bar(counts.country, counts.n, color="#4c72b0")
    axis.set_ylabel("isolates")
    axis.tick_params(axis="x", rotation=90)
    return _png(figure)


def _query(results, sql: str) -> pd.DataFrame:
    con = duckdb.connect()
    con.register("results", results)
    return con.sql(sql).df()


def _guideline_artefact(results) -> str:
    frame = _query(results, """
        SELECT year(specimen_date) AS year, count(*) AS n,
               avg((lab_sir = 'R')::INT) * 100 AS lab_reported,
               avg((sir = 'R')::INT) * 100 AS reinterpreted
        FROM results WHERE country = 'PER' AND ab = 'CIP' AND method = 'MIC'
          AND lab_sir IN ('S', 'I', 'R')
          AND sir IN ('S', 'I', 'R', 'NI')
          AND mo IN ('B_ESCHR_COLI', 'B_KLBSL_PNMN', 'B_KLBSL_OXYT', 'B_PROTS_MRBL',
                     'B_ENTRBC_CLOC')
        GROUP BY 1 ORDER BY 1""")
    figure, axis = plt.subplots(figsize=(6, 3))
    axis.plot(frame.year, frame.lab_reported, "o-", label="as the labs reported (own guideline)")
    axis.plot(frame.year, frame.reinterpreted, "s-", label="same results re-interpreted, one "
              "guideline")
    axis.axvline(2022.5, color="grey", linestyle=":")
    axis.set_xticks(frame.year)
    axis.set_ylabel("% R ciprofloxacin MIC, Enterobacterales")
    axis.legend(fontsize=8)
    return _png(figure) + "<p>Results per year: " + ", ".join(
        f"{int(y)}: {int(n)}" for y, n in zip(frame.year, frame.n, strict=True)) + "</p>"


def _colistin(results) -> str:
    frame = _query(results, """
        SELECT date_trunc('quarter', specimen_date) AS quarter, country = 'ECU' AS ecuador,
               avg((sir = 'R')::INT) * 100 AS pct_r
        FROM results WHERE ab = 'COL' AND (mo LIKE 'B_ESCHR_COLI%' OR mo LIKE 'B_KLBSL_PNMN%')
          AND sir IS NOT NULL GROUP BY ALL ORDER BY 1""")
    figure, axis = plt.subplots(figsize=(6, 3))
    for flag, label in ((True, "Ecuador"), (False, "rest of the region")):
        part = frame[frame.ecuador == flag]
        axis.plot(part.quarter, part.pct_r, "o-", label=label)
    axis.set_ylabel("% R colistin, E. coli + K. pneumoniae")
    axis.legend(fontsize=8)
    return _png(figure)


def _carbapenem_by_country(results) -> str:
    from amrwatch.analyse.proportions import resistance

    con = duckdb.connect()
    con.register("results", results)
    kpn = con.sql("SELECT * FROM results WHERE mo LIKE 'B_KLBSL_PNMN%' AND ab = 'MEM'").to_arrow_table()
    table = resistance(kpn, by=("country",), min_n=10).to_pandas().dropna(subset=["pct_R"])
    table = table.sort_values("pct_R")
    figure, axis = plt.subplots(figsize=(6, max(3, len(table) * 0.22)))
    axis.errorbar(table.pct_R, table.country, xerr=[table.pct_R - table.pct_R_low,
                                                    table.pct_R_high - table.pct_R], fmt="o")
    axis.set_xlabel("% R meropenem, K. pneumoniae (Wilson 95% interval, n ≥ 10)")
    return _png(figure)


def _section(title: str, body: str, note: str = "") -> str:
    return f"<h2>{html.escape(title)}</h2><p>{html.escape(note)}</p>{body}"


def _plot_or_missing(title: str, note: str, plot, results) -> str:
    if results is None:
        return _section(title, f"<p><em>{NOT_RUN}</em></p>")
    try:
        return _section(title, plot(results), note)
    except ImportError as error:
        return _section(title, f"<p><em>Not available yet ({html.escape(str(error))}).</em></p>")


def _events(data: Path) -> str:
    truth = json.loads((data / "ground_truth.json").read_text(encoding="utf-8"))
    rows = "".join(
        f"<tr><td>{html.escape(e['id'])}</td><td>{html.escape(e['what'])}</td>"
        f"<td>{html.escape(', '.join(w['country'] + (' ' + w.get('city', '')) for w in e['where']))}"
        f"</td><td>{html.escape(str(e.get('first_specimen_date') or e.get('start')))}</td>"
        f"<td>{len(e.get('isolates', []))}</td></tr>" for e in truth["events"])
    return ("<table><tr><th>event</th><th>what</th><th>where</th><th>from</th>"
            f"<th>isolates</th></tr>{rows}</table>")


def _signals(signals) -> str:
    if signals is None:
        return f"<p><em>{NOT_RUN}</em></p>"
    frame = signals.to_pandas()
    if frame.empty:
        return "<p>No signal raised.</p>"
    counts = frame.groupby(["detector", "severity"]).size().rename("signals").reset_index()
    first = frame.sort_values("window_start").groupby("detector").head(3)
    return ("<p>Signals per rule:</p>" + counts.to_html(index=False, escape=True)
            + "<p>First signals of each rule (their evidence names the isolates):</p>"
            + first[["detector", "severity", "country", "lab_code", "mo", "phenotype",
                     "window_start"]].to_html(index=False, escape=True))


def _clusters(scanned) -> str:
    if scanned is None:
        return f"<p><em>{NOT_RUN}</em></p>"
    parts = []
    for event, end, clusters in scanned:
        frame = clusters.to_pandas()
        keep = [c for c in ("labs", "window_start", "window_end", "observed", "expected",
                            "relative_risk", "p_value", "recurrence_days") if c in frame.columns]
        parts.append(f"<h3>{html.escape(event)}: scan as run on {end}</h3>" + (
            "<p>No cluster.</p>" if frame.empty else
            frame[keep].head(3).to_html(index=False, escape=True)))
    return ("<p>Each scan runs as it would have on the last day of a seeded cluster; compare its "
            "labs with the ground truth below.</p>" + "".join(parts))


def _alarms(aberrations) -> str:
    if aberrations is None:
        return f"<p><em>{NOT_RUN}</em></p>"
    frame = aberrations.to_pandas()
    frame = frame[frame.alarm == 1]
    if frame.empty:
        return ("<p>No alarm: at this size the weekly counts are too small for Farrington "
                "(fewer than 5 cases in 4 weeks). With `amrwatch demo --isolates 200000` Ecuador "
                "alarms from mid-2024, as seeded.</p>")
    frame["week_start"] = pd.Timestamp("2021-01-04") + pd.to_timedelta(frame.week_index * 7, "D")
    table = frame.groupby("series_id").agg(alarms=("alarm", "size"),
                                           first=("week_start", "min"), last=("week_start", "max"))
    return ("<p>Farrington (b = 3 years) on weekly counts of colistin-resistant E. coli and "
            "K. pneumoniae per country; weeks with an alarm:</p>"
            + table.sort_values("alarms", ascending=False).to_html(escape=True))


def write_report(out: Path, data: Path, results, signals, ingested: dict[str, Any] | None,
                 guideline: str, scanned=None, aberrations=None) -> Path:
    parts = [
        _section("Isolates per country", _countries(data),
                 "Synthetic isolates generated for the 33 CELAC countries, 2021-2025."),
        _section("Ingestion", "<p>" + html.escape(
            "not available yet" if ingested is None else
            f"{ingested['files']} files stored: {ingested['isolates']:,} isolates, "
            f"{ingested['ast_results']:,} AST results, {ingested['issues']:,} validation issues; "
            f"{len(ingested['failed'])} files refused. " + " ".join(ingested["failed"][:5])) + "</p>"),
        _plot_or_missing("Carbapenem-resistant K. pneumoniae by country", f"Interpreted under "
                         f"{guideline}.", _carbapenem_by_country, results),
        _plot_or_missing("A guideline change is not a resistance change", "Peru's labs moved "
                         "from CLSI 2018 to EUCAST 2023 in January 2023 (seeded artefact).",
                         _guideline_artefact, results),
        _plot_or_missing("Emerging colistin resistance", "Seeded in Ecuador from April 2024.",
                         _colistin, results),
        _section("Detection rules", _signals(signals)),
        _section("Space-time clusters", _clusters(scanned)),
        _section("Aberrations: colistin resistance", _alarms(aberrations)),
        _section("What really happened (ground truth)", _events(data)),
    ]
    page = ("<!doctype html><html><head><meta charset='utf-8'><title>amrwatch demo</title>"
            "<style>body{font-family:sans-serif;max-width:1000px;margin:auto}"
            "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;"
            "padding:3px}</style></head><body><h1>amrwatch demo report</h1>"
            + "".join(parts) + "</body></html>")
    path = out / "report.html"
    path.write_text(page, encoding="utf-8")
    return path
