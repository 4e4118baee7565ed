"""A small store for the web tests, built through the store's own API.

Three countries with known counts, so every expected number below is written here by hand, not
computed by the code under test:

    country  sharing     lab      organism        drug  year  tested  resistant
    BRA      isolate     BR-A     E. coli         CIP   2024  40      10   (25 %)
    BRA      isolate     BR-B     E. coli         CIP   2023  20       2   (10 %)
    MEX      isolate     MX-A     E. coli         CIP   2024  12       6   (50 %)
    ARG      aggregate   AR-A     E. coli         CIP   2024   6       3   (suppressed: 6 < 10)
    ARG      aggregate   AR-A     K. pneumoniae   MEM   2024  20       5   (25 %, shown as aggregate)

and, for multidrug resistance, Peru (PE-A, isolate sharing): 15 K. pneumoniae isolates of 2024
tested against gentamicin, meropenem, ciprofloxacin and ceftriaxone (four Magiorakos 2012
categories for Enterobacterales); the first 6 are resistant to all four (MDR: non-susceptible
in >= 3 categories; not XDR, since 13 of the 17 categories were not tested), the other 9
susceptible to all: not classifiable, because calling an isolate "not MDR" needs at least half
of the categories tested (the AMR package's `pct_required_classes = 0.5`).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa

from amrwatch.schemas import AST_RESULT, ISOLATE

GUIDELINE = "EUCAST 2025"
PANEL = ["GEN", "MEM", "CIP", "CRO"]
MDR_ISOLATES, PANEL_ISOLATES = 6, 15
ECOLI, KPNEU = "B_ESCHR_COLI", "B_KLBSL_PNMN"
CELLS = [  # country, sharing, lab, organism, antimicrobial, year, tested, resistant
    ("BRA", "isolate", "BR-A", ECOLI, "CIP", 2024, 40, 10),
    ("BRA", "isolate", "BR-B", ECOLI, "CIP", 2023, 20, 2),
    ("MEX", "isolate", "MX-A", ECOLI, "CIP", 2024, 12, 6),
    ("ARG", "aggregate", "AR-A", ECOLI, "CIP", 2024, 6, 3),
    ("ARG", "aggregate", "AR-A", KPNEU, "MEM", 2024, 20, 5),
]


def _isolates(country, lab, mo, ab, year, tested, start) -> tuple[pa.Table, pa.Table]:
    ids = [f"{lab}-{start + k}" for k in range(tested)]
    isolates = pa.table({
        "lab_code": [lab] * tested, "country": [country] * tested, "isolate_id": ids,
        "patient_key": [hashlib.sha256(i.encode()).hexdigest() for i in ids],
        "specimen_date": [date(year, 1 + k % 12, 1 + k % 28) for k in range(tested)],
        "specimen_type": ["BLOOD"] * tested, "specimen_type_raw": ["bl"] * tested,
        "origin": ["hospital"] * tested, "age_years": [50.0] * tested, "sex": ["F"] * tested,
        "ward_type": [None] * tested, "organism_raw": [mo] * tested, "mo": [mo] * tested,
        "organism_score": [1.0] * tested, "source_row": list(range(1, tested + 1)),
    }, schema=ISOLATE)
    ast = pa.table({
        "lab_code": [lab] * tested, "isolate_id": ids, "antimicrobial_raw": [ab] * tested,
        "ab": [ab] * tested, "method": ["MIC"] * tested, "value_raw": ["1"] * tested,
        "potency": [None] * tested, "lab_sir": [None] * tested, "lab_guideline": [None] * tested,
        "source_row": list(range(1, tested + 1)), "source_column": [ab] * tested,
    }, schema=AST_RESULT)
    return isolates, ast


def _store(store, lab, country, number, isolates, ast, sir: list[str]) -> None:
    """One upload, then its interpretations in AST-row order (the categories written above)."""
    outcome = store.add_upload(lab, country, f"cell{number}.txt", f"sha-{number}", "whonet",
                               isolates, ast, {"quality_score": 0.9})
    ids = store.query("SELECT ast_id FROM ast_result WHERE upload_id = ? ORDER BY ast_id",
                      [outcome.upload_id])["ast_id"].to_pylist()
    n = len(ids)
    store.backend.append("interpretation", pa.table({
        "ast_id": ids, "guideline": [GUIDELINE] * n, "policy": ["default"] * n, "sir": sir,
        "reason": ["fixture"] * n, "breakpoint_id": [None] * n,
        "computed_at": [datetime.now(UTC)] * n}))


def build(store) -> None:
    """Register the labs, store one upload per cell, and interpret: the first `resistant` are R."""
    for country, sharing, lab, *_ in CELLS:
        store.register_lab(lab, country, name=f"Laboratory {lab}", sharing=sharing)
    for number, (country, _, lab, mo, ab, year, tested, resistant) in enumerate(CELLS):
        isolates, ast = _isolates(country, lab, mo, ab, year, tested, 1000 * number)
        _store(store, lab, country, number, isolates, ast,
               ["R"] * resistant + ["S"] * (tested - resistant))
    store.register_lab("PE-A", "PER", name="Laboratory PE-A", sharing="isolate")
    parts = [_isolates("PER", "PE-A", KPNEU, ab, 2024, PANEL_ISOLATES, 9000) for ab in PANEL]
    ast = pa.concat_tables([a for _, a in parts])
    sir = (["R"] * MDR_ISOLATES + ["S"] * (PANEL_ISOLATES - MDR_ISOLATES)) * len(PANEL)
    _store(store, "PE-A", "PER", len(CELLS), parts[0][0], ast, sir)


#: Two alerts raised through the alert stage: a first CRE in Brazil (lab BR-A) and one in
#: Argentina (aggregate-only), each with evidence naming an isolate.
ALERTS = [("s-bra", "high", "BRA", "BR-A"), ("s-arg", "critical", "ARG", "AR-A")]


def raise_fixture_alerts(store) -> None:
    from amrwatch.alert.outbox import raise_alerts
    from amrwatch.schemas import SIGNAL

    raise_alerts(store, pa.table({
        "signal_id": [a[0] for a in ALERTS], "kind": ["rule"] * 2,
        "detector": ["first-cre-lab"] * 2, "severity": [a[1] for a in ALERTS],
        "country": [a[2] for a in ALERTS], "lab_code": [a[3] for a in ALERTS],
        "mo": [KPNEU] * 2, "phenotype": ["CRE"] * 2, "window_start": [date(2024, 3, 1)] * 2,
        "window_end": [date(2024, 3, 7)] * 2,
        "evidence": [json.dumps({"isolates": [f"{a[3]}-1"]}) for a in ALERTS]}, schema=SIGNAL))


def open_test_store(path: Path):
    from amrwatch.store import open_store

    return open_store(path)

