"""The alert workflow by role, automatic escalation on an injected clock, the inbox's scope,
and the audit trail — on DuckDB and PostgreSQL.

Who may do what is the workflow section of the packaged routing.yaml (acknowledge and escalate:
national epidemiologist of the alert's country, responder, administrator; close: responder,
administrator) and the deadlines are its escalation.acknowledge_within_hours (critical 1 h,
high 4 h).
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from alert_receivers import signal_rows

from amrwatch.alert import alert_detail, escalate_overdue, list_alerts, raise_alerts, transition
from amrwatch.api.roles import Caller, Role
from amrwatch.errors import InputError, PermissionDenied
from amrwatch.store import open_store

T0 = dt.datetime(2026, 3, 10, 8, 0, tzinfo=dt.UTC)
AURIS, CLUSTER = 1, 2  # alert ids in the order of signal_rows(): BRA critical, ARG high


@pytest.fixture
def store(store_url):
    with open_store(store_url) as opened:
        raise_alerts(opened, signal_rows(), now=T0)
        yield opened


def _events(store, alert_id):
    return store.query("SELECT actor, role, action, from_status, to_status, note FROM alert_event "
                       "WHERE alert_id = ? ORDER BY event_id", [alert_id]).to_pylist()


def _audit(store, alert_id):
    rows = store.query("SELECT actor, action, details FROM audit WHERE target = ? ORDER BY audit_id",
                       [f"alert:{alert_id}"]).to_pylist()
    return [(r["actor"], r["action"], json.loads(r["details"])) for r in rows]


@pytest.mark.parametrize("role, country", [
    ("lab_submitter", "ARG"), ("regional_analyst", None), ("national_epidemiologist", "BRA")])
def test_roles_that_may_not_acknowledge_are_refused_and_nothing_changes(store, role, country):
    with pytest.raises(PermissionDenied):
        transition(store, CLUSTER, "ack", "someone", role, country=country, now=T0)
    assert alert_detail(store, CLUSTER)["status"] == "new"
    assert [e["action"] for e in _events(store, CLUSTER)] == ["raise"]


def test_acknowledge_escalate_close_by_the_right_roles_with_events_and_audit(store):
    later = T0 + dt.timedelta(minutes=20)
    acked = transition(store, CLUSTER, "ack", "maria", "national_epidemiologist",
                       "calling the lab", country="ARG", now=later)
    assert acked["status"] == "acknowledged"
    with pytest.raises(PermissionDenied, match="may not close"):
        transition(store, CLUSTER, "close", "maria", Role.NATIONAL_EPIDEMIOLOGIST, country="ARG")
    transition(store, CLUSTER, "escalate", "maria", "national_epidemiologist", "needs the region",
               country="ARG", now=later)
    closed = transition(store, CLUSTER, "close", "rosa", "responder", "contained", now=later)
    assert closed["status"] == "closed"
    with pytest.raises(InputError, match="is closed"):
        transition(store, CLUSTER, "ack", "rosa", "responder", now=later)
    assert _events(store, CLUSTER) == [
        {"actor": "amrwatch", "role": None, "action": "raise", "from_status": None,
         "to_status": "new", "note": "scan"},
        {"actor": "maria", "role": "national_epidemiologist", "action": "acknowledge",
         "from_status": "new", "to_status": "acknowledged", "note": "calling the lab"},
        {"actor": "maria", "role": "national_epidemiologist", "action": "escalate",
         "from_status": "acknowledged", "to_status": "escalated", "note": "needs the region"},
        {"actor": "rosa", "role": "responder", "action": "close", "from_status": "escalated",
         "to_status": "closed", "note": "contained"},
    ]
    assert [(actor, action, d.get("to")) for actor, action, d in _audit(store, CLUSTER)] == [
        ("amrwatch", "alert.raise", None), ("maria", "alert.acknowledge", "acknowledged"),
        ("maria", "alert.escalate", "escalated"), ("rosa", "alert.close", "closed")]


def test_unacknowledged_alerts_escalate_after_their_deadline_only(store):
    transition(store, CLUSTER, "ack", "rosa", "responder", now=T0 + dt.timedelta(minutes=5))
    assert escalate_overdue(store, now=T0 + dt.timedelta(minutes=59)) == []
    assert escalate_overdue(store, now=T0 + dt.timedelta(hours=1)) == [AURIS]  # critical: 1 h
    assert escalate_overdue(store, now=T0 + dt.timedelta(hours=9)) == []  # acknowledged stays
    detail = alert_detail(store, AURIS)
    assert detail["status"] == "escalated"
    assert detail["events"][-1]["actor"] == "amrwatch"
    assert detail["events"][-1]["note"].startswith("not acknowledged within 1 h")
    escalations = [d for d in detail["deliveries"] if d["event"] == "escalated"]
    # escalation.notify (regional centre e-mail + webhook) and the alert's own focal point.
    assert sorted((d["recipient"], d["channel"]) for d in escalations) == [
        ("national_focal_point:BRA", "email"), ("regional_response_centre", "email"),
        ("regional_response_centre", "webhook")]
    assert all(d["status"] == "pending" for d in escalations)
    # Acknowledging an escalated alert is still possible (someone finally answered).
    assert transition(store, AURIS, "acknowledge", "ana", "administrator")["status"] == "acknowledged"


def test_an_overdue_alert_escalates_even_if_the_routing_no_longer_gives_a_deadline(store):
    import copy
    import dataclasses

    from amrwatch.alert import load_routing

    packaged = load_routing()
    data = copy.deepcopy(packaged.data)
    del data["escalation"]["acknowledge_within_hours"]["critical"]
    routing = dataclasses.replace(packaged, data=data)
    assert routing.escalate_after("critical") is None
    assert escalate_overdue(store, routing, now=T0 + dt.timedelta(hours=1)) == [AURIS]
    # The note gives the deadline the alert was raised with (critical: 1 h).
    assert alert_detail(store, AURIS)["events"][-1]["note"].startswith("not acknowledged within 1 h")


def test_high_alert_escalates_after_four_hours(store):
    assert escalate_overdue(store, now=T0 + dt.timedelta(hours=3, minutes=59)) == [AURIS]
    assert escalate_overdue(store, now=T0 + dt.timedelta(hours=4)) == [CLUSTER]


def test_inbox_is_scoped_to_the_callers_country(store):
    national = Caller("maria", Role.NATIONAL_EPIDEMIOLOGIST, country="ARG")
    assert list_alerts(store, caller=national)["alert_id"].to_pylist() == [CLUSTER]
    regional = Caller("rosa", Role.RESPONDER)
    assert list_alerts(store, caller=regional)["alert_id"].to_pylist() == [AURIS, CLUSTER]  # critical first
    lab = Caller("lab", Role.LAB_SUBMITTER, country="ARG", lab_code="AR-001")
    assert list_alerts(store, caller=lab)["alert_id"].to_pylist() == [CLUSTER]
    with pytest.raises(PermissionDenied):
        alert_detail(store, AURIS, caller=national)
    transition(store, CLUSTER, "close", "rosa", "responder")
    open_inbox = list_alerts(store, status=["new", "escalated"], caller=regional)
    assert open_inbox["alert_id"].to_pylist() == [AURIS]
    assert list_alerts(store, severity="high")["status"].to_pylist() == ["closed"]


def test_an_unknown_role_in_the_routing_file_is_named(store, tmp_path):
    from importlib import resources

    from amrwatch.alert import load_routing
    from amrwatch.errors import ConfigurationError

    text = resources.files("amrwatch.alert").joinpath("data", "routing.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "routing.yaml"
    bad.write_text(text.replace("roles: [responder, administrator]", "roles: [responder, boss]"),
                   encoding="utf-8")
    with pytest.raises(ConfigurationError, match="Unknown role.*boss") as error:
        transition(store, AURIS, "close", "rosa", "responder", routing=load_routing(bad))
    assert error.value.context["entry"] == "workflow.close"


def test_unknown_alert_and_unknown_action_are_clear_errors(store):
    with pytest.raises(InputError, match="No such alert"):
        transition(store, 999, "ack", "rosa", "responder")
    with pytest.raises(Exception, match="Unknown alert action 'resolve'"):
        transition(store, AURIS, "resolve", "rosa", "responder")


def test_isolates_of_an_aggregate_sharing_country_stay_in_that_country(tmp_path):
    """docs/store.md: a country with sharing `aggregate` lets only counts leave it."""
    with open_store(tmp_path / "hub.duckdb") as hub:
        hub.register_lab("BR-001", "BRA", sharing="aggregate")
        raise_alerts(hub, signal_rows(), now=T0)
        rows = hub.query("SELECT recipient, payload FROM outbox WHERE alert_id = ?", [AURIS]).to_pylist()
        evidence = {r["recipient"]: json.loads(r["payload"])["alert"]["evidence"] for r in rows}
        assert evidence["national_focal_point:BRA"]["isolates"][0]["isolate_id"] == "BR-17"
        assert evidence["regional_response_centre"] == {
            "scope": "country", "isolate_count": 1, "isolates_withheld": True}
        responder = Caller("rosa", Role.RESPONDER)
        assert "isolates" not in alert_detail(hub, AURIS, caller=responder)["evidence"]
        brazil = Caller("joao", Role.NATIONAL_EPIDEMIOLOGIST, country="BRA")
        assert alert_detail(hub, AURIS, caller=brazil)["evidence"]["isolates"][0]["isolate_id"] == "BR-17"
        # Argentina shares isolates: the regional centre gets the cluster's evidence whole.
        cluster = hub.query("SELECT payload FROM outbox WHERE alert_id = ? AND channel = 'webhook'",
                            [CLUSTER])["payload"][0].as_py()
        assert json.loads(cluster)["alert"]["evidence"]["labs"] == ["AR-001", "UY-002"]
