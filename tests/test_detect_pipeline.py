"""Detection over stored-style results: series building, cluster continuation, replay scoring.

The dataset is built here with known events (a CRE cluster in two neighbouring labs across a
border, a first Candida auris), so what must be detected is known independently of the code.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pyarrow as pa

from amrwatch.detect.evaluate import evaluate
from amrwatch.detect.pipeline import detect_signals
from amrwatch.detect.rules import load_rules
from amrwatch.detect.signals import continue_clusters
from amrwatch.detect.weekly import week_index, weekly_series

START = dt.date(2023, 1, 2)
LABS = pa.table({
    "lab_code": ["COL1", "VEN1", "PER1", "CHL1", "ARG1", "GTM1"],
    "country": ["COL", "VEN", "PER", "CHL", "ARG", "GTM"],
    "lat": [7.89, 7.77, -12.05, -33.45, -34.6, 14.6],
    "lon": [-72.5, -72.23, -77.04, -70.67, -58.4, -90.5],
})


def _rows(lab: str, country: str, ids: list[str], dates: list[dt.date], mo: str, ab: str, sir: str):
    return [(country, lab, i, d.isoformat(), mo, ab, sir, f"p-{i}") for i, d in zip(ids, dates)]


def _dataset(seed: int = 4) -> pa.Table:
    rng = np.random.default_rng(seed)
    rows = []
    for lab, country in zip(LABS["lab_code"].to_pylist(), LABS["country"].to_pylist()):
        days = np.sort(rng.integers(0, 730, 600))  # two years of routine isolates
        sir = np.where(rng.random(600) < 0.1, "R", "S")  # 10 % carbapenem-resistant K. pneumoniae
        for k, (d, s) in enumerate(zip(days, sir)):
            rows += _rows(lab, country, [f"{lab}-{k}"], [START + dt.timedelta(days=int(d))],
                          "B_KLBSL_PNMN", "MEM", str(s))
    cluster = [START + dt.timedelta(days=500 + int(d)) for d in np.sort(rng.integers(0, 21, 40))]
    for k, d in enumerate(cluster):
        lab, country = ("COL1", "COL") if k % 2 else ("VEN1", "VEN")
        rows += _rows(lab, country, [f"kpc-{k}"], [d], "B_KLBSL_PNMN", "MEM", "R")
    rows += _rows("GTM1", "GTM", ["ca-1"], [START + dt.timedelta(days=600)], "F_CANDD_AURS", "FLU", "R")
    columns = ("country", "lab_code", "isolate_id", "specimen_date", "mo", "ab", "sir", "patient_key")
    return pa.table({c: [r[i] for r in rows] for i, c in enumerate(columns)})


TRUTH = {"events": [
    {"id": "kpc", "kind": "cluster", "organism": "kpn",
     "where": [{"country": "COL", "labs": ["COL1"]}, {"country": "VEN", "labs": ["VEN1"]}],
     "first_specimen_date": (START + dt.timedelta(days=500)).isoformat(),
     "last_specimen_date": (START + dt.timedelta(days=521)).isoformat()},
    {"id": "auris", "kind": "first_detection", "organism": "crs",
     "where": [{"country": "GTM", "labs": ["GTM1"]}],
     "first_specimen_date": (START + dt.timedelta(days=600)).isoformat(),
     "last_specimen_date": (START + dt.timedelta(days=600)).isoformat()},
]}
ORGANISMS = {"kpn": "B_KLBSL_PNMN", "crs": "F_CANDD_AURS"}


def test_weekly_series_fill_every_week_with_zero() -> None:
    hits = pa.table({"phenotype": ["CRE", "CRE"], "country": ["COL", "COL"],
                     "specimen_date": pa.array([dt.date(2025, 1, 6), dt.date(2025, 1, 22)])})
    series = weekly_series(hits, ["country"])
    assert series.column("observed").to_pylist() == [1, 0, 1]
    assert series.column("week_start").to_pylist()[0] == dt.date(2025, 1, 6)  # a Monday
    assert series.column("week_index").to_pylist()[0] == week_index(dt.date(2025, 1, 12))


def test_replay_detects_the_seeded_events_within_two_weeks() -> None:
    result = evaluate(_dataset(), LABS, TRUTH, ORGANISMS, every_days=7, replications=199)
    by_id = {e["id"]: e for e in result.events}
    assert by_id["kpc"]["detected"] and by_id["kpc"]["delay_weeks"] <= 2
    assert by_id["auris"]["detected"] and by_id["auris"]["delay_weeks"] == 0
    assert "FIRST-C-AURIS" in by_id["auris"]["by"]
    false = sum(result.false_alerts.column("n").to_pylist())
    assert false / result.country_months <= 1


def test_after_each_upload_only_new_events_get_new_ids() -> None:
    """Detection on the data up to day 514, then up to day 530: the cluster found on day 514
    keeps its id on day 530 (continuation), and the first run's rule signals are all re-found."""
    data, rules = _dataset(), load_rules()
    first = detect_signals(data, LABS, rules, end=START + dt.timedelta(days=514)).signals
    again = detect_signals(data, LABS, rules, end=START + dt.timedelta(days=530), known=first).signals
    clusters = [s for s in first.to_pylist() if s["kind"] == "cluster"]
    assert clusters and {"COL1", "VEN1"} <= set(json.loads(clusters[0]["evidence"])["labs"])
    later = [s for s in again.to_pylist() if s["kind"] == "cluster"]
    assert {s["signal_id"] for s in clusters} & {s["signal_id"] for s in later}
    old_rules = {s["signal_id"] for s in first.to_pylist() if s["kind"] == "rule"}
    assert old_rules <= set(again.column("signal_id").to_pylist())


def test_continue_clusters_needs_category_lab_and_overlap() -> None:
    from amrwatch.detect.signals import signals_table

    def cluster(sid: str, labs: list[str], start: int, end: int, phenotype: str = "CRE") -> dict:
        return {"signal_id": sid, "kind": "cluster", "detector": "scan", "severity": "high",
                "window_start": START + dt.timedelta(days=start),
                "window_end": START + dt.timedelta(days=end),
                "evidence": {"labs": labs, "category": {"phenotype": phenotype}}}

    known = signals_table([cluster("old", ["A", "B"], 0, 10)])
    new = signals_table([cluster("n1", ["B", "C"], 5, 17), cluster("n2", ["D"], 5, 17),
                         cluster("n3", ["A"], 11, 17), cluster("n4", ["A"], 5, 17, "MRSA")])
    assert continue_clusters(new, known).column("signal_id").to_pylist() == ["old", "n2", "n3", "n4"]
