"""Raising alerts from signals and from detection over the store, on DuckDB and PostgreSQL.

Expected alerts come from the rule file's definitions (detect/data/rules.yaml): a first
Candida auris isolate after 90 days of a lab's, country's and the region's data is one
FIRST-C-AURIS signal per scope (lab: high, country and region: critical) plus one
SEND-TO-REFERENCE-LAB request (medium) for the isolate; every later C. auris isolate is only a
new reference-lab request. Re-running detection never raises an alert twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import pyarrow as pa
import pytest
from alert_receivers import signal_rows

from amrwatch.alert import detect_and_alert, list_alerts, load_routing, raise_alerts
from amrwatch.errors import ConfigurationError, InputError
from amrwatch.schemas import AST_RESULT, ISOLATE
from amrwatch.store import open_store

T0 = dt.datetime(2026, 3, 10, 8, 0, tzinfo=dt.UTC)
LABS = pa.table({"lab_code": ["BR-001", "AR-001"], "country": ["BRA", "ARG"],
                 "latitude": [-23.55, -34.6], "longitude": [-46.63, -58.4]})


@pytest.fixture
def store(store_url):
    with open_store(store_url) as opened:
        yield opened


def _counts(store) -> dict[str, int]:
    return {t: store.query(f"SELECT count(*) AS n FROM {t}")["n"][0].as_py()
            for t in ("signal", "alert", "alert_event", "outbox")}


def test_same_signals_never_alert_twice(store):
    assert raise_alerts(store, signal_rows(), now=T0) == 2
    before = _counts(store)
    assert raise_alerts(store, signal_rows(), now=T0 + dt.timedelta(days=1)) == 0
    doubled = pa.concat_tables([signal_rows(), signal_rows()])
    assert raise_alerts(store, doubled, now=T0 + dt.timedelta(days=2)) == 0
    assert _counts(store) == before


def test_a_continuing_event_updates_its_evidence_without_a_new_alert(store):
    raise_alerts(store, signal_rows(), now=T0)
    grown = signal_rows(window_end=dt.date(2025, 3, 16), evidence='{"observed": 20}')
    assert raise_alerts(store, grown, now=T0 + dt.timedelta(days=7)) == 0
    rows = store.query("SELECT window_end, evidence, last_seen_at FROM signal ORDER BY signal_id").to_pylist()
    assert {r["window_end"] for r in rows} == {dt.date(2025, 3, 16)}
    assert {r["last_seen_at"] for r in rows} == {T0 + dt.timedelta(days=7)}
    assert list_alerts(store)["alert_id"].to_pylist() == [1, 2]


def test_a_failure_while_raising_leaves_nothing_behind(store, monkeypatch):
    from amrwatch.alert import outbox

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(outbox, "enqueue", broken)
    with pytest.raises(RuntimeError):
        raise_alerts(store, signal_rows(), now=T0)
    assert _counts(store) == {"signal": 0, "alert": 0, "alert_event": 0, "outbox": 0}
    assert store.query("SELECT count(*) AS n FROM audit WHERE action = 'alert.raise'")["n"][0].as_py() == 0
    monkeypatch.undo()
    assert raise_alerts(store, signal_rows(), now=T0) == 2  # the same signals raise later


def test_bad_signals_are_refused_with_the_signal_named(store):
    with pytest.raises(InputError, match="unknown severity") as error:
        raise_alerts(store, signal_rows(severity="urgent"))
    assert error.value.context["signal_id"] == "c" * 32
    with pytest.raises(InputError, match="lack the column 'severity'"):
        raise_alerts(store, signal_rows().drop_columns(["severity"]))
    assert _counts(store)["alert"] == 0


def _upload(store, lab: str, country: str, days: list[int], auris_days: list[int], name: str):
    """Routine E. coli isolates on `days` and C. auris isolates on `auris_days` (from 2025-01-01)."""
    start = dt.date(2025, 1, 1)
    rows = [(f"{lab}-{name}-{d}", d, "B_ESCHR_COLI") for d in days]
    rows += [(f"{lab}-{name}-auris-{d}", d, "F_CANDD_AURS") for d in auris_days]
    n = len(rows)
    isolates = pa.table({
        "lab_code": [lab] * n, "country": [country] * n, "isolate_id": [r[0] for r in rows],
        "patient_key": [hashlib.sha256(r[0].encode()).hexdigest() for r in rows],
        "specimen_date": [start + dt.timedelta(days=r[1]) for r in rows],
        "specimen_type": ["BLOOD"] * n, "specimen_type_raw": ["blood"] * n, "origin": ["hospital"] * n,
        "age_years": [50.0] * n, "sex": ["F"] * n, "ward_type": ["icu"] * n,
        "organism_raw": [r[2] for r in rows], "mo": [r[2] for r in rows],
        "organism_score": [1.0] * n, "source_row": list(range(1, n + 1))}, schema=ISOLATE)
    ast = pa.table({
        "lab_code": [lab] * n, "isolate_id": [r[0] for r in rows], "antimicrobial_raw": ["FLU"] * n,
        "ab": ["FLU"] * n, "method": ["MIC"] * n, "value_raw": ["2"] * n, "potency": [None] * n,
        "lab_sir": [None] * n, "lab_guideline": [None] * n, "source_row": list(range(1, n + 1)),
        "source_column": ["FLU_NM"] * n}, schema=AST_RESULT)
    sha = hashlib.sha256(f"{lab}{name}".encode()).hexdigest()
    store.add_upload(lab, country, f"{name}.csv", sha, "test", isolates, ast, {})


def test_detection_after_each_upload_alerts_each_event_once(store):
    _upload(store, "BR-001", "BRA", list(range(0, 170, 3)), [170], "jan-jun")
    _upload(store, "AR-001", "ARG", list(range(0, 180, 4)), [], "jan-jun")
    first = detect_and_alert(store, labs=LABS, now=T0)
    assert first.scanned and first.alerts == 4
    raised = list_alerts(store).to_pylist()
    assert sorted((a["detector"], a["severity"]) for a in raised) == [
        ("FIRST-C-AURIS", "critical"), ("FIRST-C-AURIS", "critical"), ("FIRST-C-AURIS", "high"),
        ("SEND-TO-REFERENCE-LAB", "medium")]

    assert detect_and_alert(store, labs=LABS, now=T0 + dt.timedelta(hours=1)).alerts == 0
    _upload(store, "BR-001", "BRA", [190, 193], [191], "jul")
    again = detect_and_alert(store, now=T0 + dt.timedelta(days=1))  # no coordinates: no scan
    assert not again.scanned and again.alerts == 1
    newest = list_alerts(store, status="new", severity="medium").to_pylist()
    assert [(a["detector"], a["lab_code"]) for a in newest] == [("SEND-TO-REFERENCE-LAB", "BR-001")] * 2
    # routing.yaml: the request goes to Brazil's reference lab (confirmation-requests rule),
    # and being C. auris and medium also to the focal point and the regional centre.
    outbox = store.query("SELECT DISTINCT recipient FROM outbox o JOIN alert a USING (alert_id) "
                         "JOIN signal s USING (signal_id) WHERE s.detector = 'SEND-TO-REFERENCE-LAB'")
    assert sorted(outbox["recipient"].to_pylist()) == [
        "national_focal_point:BRA", "national_reference_lab:BRA", "regional_response_centre"]


def test_routing_file_errors_name_the_entry(tmp_path):
    bad = tmp_path / "routing.yaml"
    bad.write_text(_packaged_text().replace(
        "recipient: national_reference_lab", "recipient: nobody"), encoding="utf-8")
    with pytest.raises(ConfigurationError, match="Unknown recipient 'nobody'") as error:
        load_routing(bad)
    assert error.value.context["entry"] == "rules.confirmation-requests-to-reference-lab"
    bad.write_text(_packaged_text().replace("type: webhook", "type: pager"), encoding="utf-8")
    with pytest.raises(ConfigurationError, match="unknown type 'pager'"):
        load_routing(bad)


def _packaged_text() -> str:
    from importlib import resources

    return resources.files("amrwatch.alert").joinpath("data", "routing.yaml").read_text(encoding="utf-8")
