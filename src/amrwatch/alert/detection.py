"""Detection over the store, then alerts: what runs after each upload.

Takes an open store (and, for the space-time scan, the lab registry with coordinates, which the
store does not hold); gives the number of signals found and of alerts raised. Detection always
runs over the whole stored history (signal ids identify events); signals already stored are
passed to the detectors as known, so a continuing cluster keeps its id, and `raise_alerts`
raises nothing for them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyarrow as pa

from amrwatch.alert.outbox import raise_alerts
from amrwatch.alert.routing import Routing
from amrwatch.schemas import SIGNAL

if TYPE_CHECKING:
    from amrwatch.detect.rules import RuleSet
    from amrwatch.store import Store


@dataclass(frozen=True)
class DetectionOutcome:
    signals: int  # found by this run, old and new
    alerts: int  # newly raised
    scanned: bool  # whether the space-time scan ran (it needs lab coordinates)


def stored_signals(store: Store) -> pa.Table:
    return store.query("SELECT " + ", ".join(SIGNAL.names) + " FROM signal").cast(SIGNAL)


def find_signals(results: pa.Table, labs: pa.Table | None, ruleset: RuleSet,
                 known: pa.Table, end: dt.date | None = None) -> pa.Table:
    """Every signal on the results: rules, weekly aberrations and (with `labs`) the scan."""
    from amrwatch.detect.pipeline import aberrations, cases, detect_signals
    from amrwatch.detect.rules import evaluate_rules

    if labs is not None:
        return detect_signals(results, labs, ruleset, end=end, known=known).signals
    _, series_signals = aberrations(cases(results, ruleset), ruleset, end)
    parts = [p for p in (evaluate_rules(results, ruleset), series_signals) if p.num_rows]
    return pa.concat_tables([p.cast(SIGNAL) for p in parts]) if parts else SIGNAL.empty_table()


def detect_and_alert(store: Store, labs: pa.Table | None = None, guideline: str | None = None,
                     ruleset: RuleSet | None = None, routing: Routing | None = None,
                     end: dt.date | None = None, now: dt.datetime | None = None) -> DetectionOutcome:
    """Run detection over the stored results (`guideline`: default the latest interpreted)
    and raise alerts for the events not yet alerted."""
    from amrwatch.detect.rules import load_rules

    ruleset = ruleset or load_rules()
    results = store.isolate_results(guideline)
    if results.num_rows == 0:
        return DetectionOutcome(0, 0, False)
    found = find_signals(results, labs, ruleset, stored_signals(store), end)
    raised = raise_alerts(store, found, routing=routing, ruleset=ruleset, now=now)
    return DetectionOutcome(found.num_rows, raised, labs is not None)
