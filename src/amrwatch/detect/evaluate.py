"""Scoring detection against the seeded events of a synthetic dataset (`ground_truth.json`).

Takes interpreted results, the lab registry, the ground truth written by `amrwatch synth` and
the rule set; replays detection as it would have run during the period (rules and aberrations
are prospective by construction; the scan is rerun every `every_days` days ending on that day)
and gives, per seeded event, whether and when a signal matched it (same organism, a place of the
event, a detection date between its first case and 8 weeks after its last), plus the unmatched
signals per country and month. Confirmation requests (SEND-TO-REFERENCE-LAB) are lab tasks, not
alerts, and are not counted as false alerts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa

from amrwatch import refdata
from amrwatch.detect.pipeline import aberrations, cases, monitored_phenotypes, scan_params
from amrwatch.detect.rules import RuleSet, evaluate_rules, load_rules
from amrwatch.detect.runner import scan_groups
from amrwatch.detect.signals import continue_clusters
from amrwatch.schemas import SIGNAL

NOT_ALERTS = ("SEND-TO-REFERENCE-LAB",)
GRACE = dt.timedelta(weeks=8)


@dataclass(frozen=True)
class Evaluation:
    events: list[dict[str, Any]]  # id, kind, start, detected, detected_on, delay_weeks, by
    signals: pa.Table  # every signal, with `detected_on`
    false_alerts: pa.Table  # country, month, n
    country_months: int


def replay(results: pa.Table, labs: pa.Table, ruleset: RuleSet, every_days: int = 7,
           replications: int | None = None) -> pa.Table:
    """All signals the hub would have raised over the period, each with its detection date."""
    hits = cases(results, ruleset)
    rules = evaluate_rules(results, ruleset)
    rules = rules.append_column("detected_on", rules.column("window_start"))
    _, series = aberrations(hits, ruleset)
    if series.num_rows:  # an alarm is known at the end of its first week
        ends = [d + dt.timedelta(days=6) for d in series.column("window_start").to_pylist()]
        series = series.append_column("detected_on", pa.array(ends, pa.date32()))
    parts = [rules, series, _scans(hits, labs, ruleset, every_days, replications)]
    return pa.concat_tables([p.cast(rules.schema) for p in parts if p.num_rows])


def _scans(hits: pa.Table, labs: pa.Table, ruleset: RuleSet, every_days: int,
           replications: int | None) -> pa.Table:
    """Prospective scans ending every `every_days` days; a cluster counts from its first signal.

    With weekly runs a signal needs p ≤ 7/365 ≈ 0.019, which 199 replications resolve as well as
    999 (stopping as soon as it cannot be reached); `replications` trades time for precision.
    """
    extra = {"replications": replications} if replications else {}
    params = scan_params(ruleset, analysis_interval_days=float(every_days), **extra)
    by = ruleset.monitoring.get("scan", {}).get("by", ["phenotype"])
    dates = hits.column("specimen_date").to_pylist()
    if not dates:
        return pa.table({})
    day, last = min(dates) + dt.timedelta(days=params.max_window_days), max(dates)
    found: dict[str, dict[str, Any]] = {}
    known = SIGNAL.empty_table()
    while day <= last + dt.timedelta(days=every_days - 1):
        signals = scan_groups(hits.select(["lab_code", "specimen_date", *by]), labs, params, by, day)[1]
        signals = continue_clusters(signals, known)
        for row in signals.to_pylist():
            found.setdefault(row["signal_id"], {**row, "detected_on": day})
        known = pa.concat_tables([known, signals])
        day += dt.timedelta(days=every_days)
    schema = SIGNAL.append(pa.field("detected_on", pa.date32()))
    return pa.Table.from_pylist(list(found.values()), schema=schema)


def _day(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(str(text)[:10]) if text else None


def _event(entry: dict[str, Any], organism_mo: dict[str, str]) -> dict[str, Any]:
    """The event's organisms, places and period from its ground-truth entry."""
    codes = entry.get("organisms") or ([entry["organism"]] if entry.get("organism") else [])
    return {
        "id": entry["id"], "kind": entry["kind"], "what": entry.get("what", ""),
        "mo": {organism_mo.get(c, c) for c in codes},
        "countries": {w["country"] for w in entry.get("where", [])} | ({entry["country"]} if entry.get("country") else set()),
        "labs": {lab for w in entry.get("where", []) for lab in w.get("labs", [])},
        "start": _day(entry.get("first_specimen_date") or entry.get("start")),
        "end": _day(entry.get("last_specimen_date") or entry.get("end")),
    }


def _covers(phenotypes: dict[str, dict[str, Any]], mos: set[str]) -> set[str]:
    """Phenotypes whose organism selectors include any of `mos` (AMR taxonomy)."""
    if not mos:
        return set()
    taxa = refdata.table("microorganisms").select(["mo", "kingdom", "order", "family", "genus", "species"])
    rows = [r for r in taxa.filter(pa.compute.is_in(taxa["mo"], pa.array(sorted(mos)))).to_pylist()]
    return {name for name, spec in phenotypes.items() for row in rows
            if any(all(row.get(k) == v for k, v in sel.items()) for sel in spec.get("organisms", []))}


def _matches(signal: dict[str, Any], event: dict[str, Any], phenotypes: set[str]) -> bool:
    if not event["mo"]:  # an artefact of reporting: any organism
        organism = True
    else:
        organism = signal["mo"] in event["mo"] if signal["mo"] else signal["phenotype"] in phenotypes
    labs = set(_evidence_labs(signal))
    place = (signal["country"] in event["countries"] or bool(labs & event["labs"])
             or (signal["country"] is None and signal["lab_code"] is None))
    when = event["start"] <= signal["detected_on"] <= (event["end"] or event["start"]) + GRACE
    return organism and place and when


def _evidence_labs(signal: dict[str, Any]) -> list[str]:
    import json

    evidence = json.loads(signal["evidence"] or "{}")
    labs = evidence.get("labs") or [i.get("lab_code") for i in evidence.get("isolates", [])]
    return [lab for lab in labs if lab] + ([signal["lab_code"]] if signal["lab_code"] else [])


def score(signals: pa.Table, truth: dict[str, Any], ruleset: RuleSet,
          organism_mo: dict[str, str], country_months: int) -> Evaluation:
    """Match signals to events; the rest of the alerts are false alerts per country-month."""
    phenotypes = {**ruleset.phenotypes, **monitored_phenotypes(ruleset)}
    rows = [s for s in signals.to_pylist() if s["detector"] not in NOT_ALERTS]
    matched: set[int] = set()
    events = []
    for entry in truth["events"]:  # a handful of seeded events
        event = _event(entry, organism_mo)
        covering = _covers(phenotypes, event["mo"])
        hits = [i for i, s in enumerate(rows) if _matches(s, event, covering)]
        matched |= set(hits)
        first = min(hits, key=lambda i: rows[i]["detected_on"], default=None)
        on = rows[first]["detected_on"] if first is not None else None
        events.append({
            "id": event["id"], "kind": event["kind"], "what": event["what"], "start": event["start"],
            "detected": first is not None, "detected_on": on,
            "delay_weeks": (on - event["start"]).days / 7 if on else None,
            "by": sorted({rows[i]["detector"] for i in hits if rows[i]["detected_on"] == on}),
            "signals": len(hits),
        })
    false = [rows[i] for i in range(len(rows)) if i not in matched]
    return Evaluation(events, signals, _per_country_month(false), country_months)


def _per_country_month(false: list[dict[str, Any]]) -> pa.Table:
    with duckdb.connect() as con:
        table = pa.Table.from_pylist([{"country": s["country"] or "(region)",
                                       "month": s["detected_on"].strftime("%Y-%m"),
                                       "detector": s["detector"]} for s in false],
                                     schema=pa.schema([("country", pa.string()), ("month", pa.string()),
                                                       ("detector", pa.string())]))
        con.register("false_alerts", table)
        return con.sql("SELECT country, month, count(*) AS n FROM false_alerts "
                       "GROUP BY ALL ORDER BY n DESC, country, month").to_arrow_table()


def _months(results: pa.Table) -> int:
    """Calendar months spanned by the specimen dates of the data."""
    dates = pa.compute.min_max(pa.compute.cast(results.column("specimen_date"), pa.date32())).as_py()
    low, high = dates["min"], dates["max"]
    return (high.year - low.year) * 12 + high.month - low.month + 1


def evaluate(results: pa.Table, labs: pa.Table, truth: dict[str, Any],
             organism_mo: dict[str, str], ruleset: RuleSet | None = None,
             every_days: int = 7, replications: int | None = 199) -> Evaluation:
    """Replay detection over the data and score it against the ground truth."""
    ruleset = ruleset or load_rules()
    signals = replay(results, labs, ruleset, every_days, replications)
    countries = len(set(labs.column("country").to_pylist()))
    return score(signals, truth, ruleset, organism_mo, countries * _months(results))
