"""Signals: one row per detected event, with an id derived from the event itself.

Takes what identifies an event (detector, place, organism/phenotype, when it began); gives the
SIGNAL rows. `signal_id` = first 32 hex digits of SHA-256 over the key parts joined by "|", so
the same event found again by a later run (after the next upload) has the same id and the store
keeps one row; the rule engine computes the same hash in DuckDB (`SIGNAL_ID_SQL`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

import pyarrow as pa

from amrwatch.schemas import SIGNAL

#: Length of the id: 128 bits of SHA-256 make collisions between events negligible.
ID_HEX_DIGITS = 32


def signal_id(*parts: Any) -> str:
    """Id of the event identified by `parts` (None is written as an empty part)."""
    text = "|".join("" if part is None else str(part) for part in parts)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:ID_HEX_DIGITS]


def signal_id_sql(parts: Iterable[str]) -> str:
    """The same id as a DuckDB expression over SQL expressions `parts`."""
    joined = " || '|' || ".join(f"coalesce(CAST({part} AS VARCHAR), '')" for part in parts)
    return f"left(sha256({joined}), {ID_HEX_DIGITS})"


def signals_table(rows: list[dict[str, Any]]) -> pa.Table:
    """SIGNAL rows from dicts whose `evidence` may be a dict (written as compact JSON)."""
    for row in rows:
        if not isinstance(row.get("evidence"), str):
            row["evidence"] = json.dumps(row.get("evidence") or {}, sort_keys=True, default=str)
    return pa.Table.from_pylist(rows, schema=SIGNAL)


def alarm_runs(detected: pa.Table) -> list[tuple[int, int]]:
    """(first, last) row of every run of consecutive alarm weeks within one series."""
    import numpy as np

    alarm = np.asarray(detected.column("alarm").fill_null(False).to_pylist(), dtype=bool)
    series = np.asarray(detected.column("series_id").to_pylist(), dtype=object)
    new_series = np.r_[True, series[1:] != series[:-1]]
    starts = np.flatnonzero(alarm & (new_series | ~np.r_[False, alarm[:-1]]))
    ends = np.flatnonzero(alarm & (np.r_[new_series[1:], True] | ~np.r_[alarm[1:], False]))
    return list(zip(starts.tolist(), ends.tolist()))


def aberration_signals(detected: pa.Table, algorithm: str, severity: str = "medium") -> pa.Table:
    """One signal per run of alarm weeks; the run's first week identifies the event, so the
    weeks that follow extend the same signal instead of raising new ones.

    Optional columns `country`, `lab_code`, `mo`, `phenotype`, `week_start` fill the signal.
    """
    rows = []
    columns = set(detected.column_names)
    for first, last in alarm_runs(detected):
        head, tail = detected.slice(first, 1).to_pylist()[0], detected.slice(last, 1).to_pylist()[0]
        weeks = detected.slice(first, last - first + 1)
        rows.append({
            "signal_id": signal_id("aberration", algorithm, head["series_id"], head["week_index"]),
            "kind": "aberration", "detector": algorithm, "severity": severity,
            **{c: head.get(c) for c in ("country", "lab_code", "mo", "phenotype") if c in columns},
            "window_start": head.get("week_start"), "window_end": tail.get("week_start"),
            "evidence": {
                "series_id": head["series_id"], "algorithm": algorithm,
                "weeks": weeks.column("week_index").to_pylist(),
                "observed": weeks.column("observed").to_pylist(),
                "expected": weeks.column("expected").to_pylist(),
                "upperbound": weeks.column("upperbound").to_pylist(),
            },
        })
    return signals_table(rows)


def cluster_signals(clusters: pa.Table, category: dict[str, Any], severity: str = "high") -> pa.Table:
    """One signal per scan cluster whose recurrence interval passes the threshold.

    The event is the category, the centre lab and the first day of the window; `category` holds
    what was scanned (e.g. {"phenotype": "CRE"} or {"mo": …}) and goes into the signal.
    """
    rows = []
    for cluster in clusters.filter(clusters.column("signal")).to_pylist():
        key = json.dumps(category, sort_keys=True)
        rows.append({
            "signal_id": signal_id("cluster", key, cluster["centre_lab"], cluster["window_start"]),
            "kind": "cluster", "detector": "scan", "severity": severity,
            "lab_code": cluster["centre_lab"], "mo": category.get("mo"),
            "phenotype": category.get("phenotype"), "country": category.get("country"),
            "window_start": cluster["window_start"], "window_end": cluster["window_end"],
            "evidence": {**cluster, "category": category},
        })
    return signals_table(rows)


def continue_clusters(new: pa.Table, known: pa.Table | None) -> pa.Table:
    """Give a new cluster signal the id of a known one it continues: same category, a lab in
    common and windows that overlap. A growing cluster is re-found by every daily scan with a
    slightly different window; it stays one event (one alert), its evidence updated."""
    if known is None or known.num_rows == 0 or new.num_rows == 0:
        return new
    previous = [(s["signal_id"], json.loads(s["evidence"]), s["window_end"])
                for s in known.to_pylist() if s["kind"] == "cluster"]
    ids = []
    for signal in new.to_pylist():  # clusters of one run: a handful
        evidence = json.loads(signal["evidence"]) if signal["kind"] == "cluster" else None
        same = [sid for sid, old, end in previous if evidence is not None
                and old.get("category") == evidence.get("category")
                and set(old.get("labs", [])) & set(evidence.get("labs", []))
                and signal["window_start"] <= end]
        ids.append(same[0] if same else signal["signal_id"])
    return new.set_column(0, "signal_id", pa.array(ids, pa.string()))
