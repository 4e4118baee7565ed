"""The alert workflow: new → acknowledged → escalated → closed, by role, every step recorded.

Takes an alert id, an action (acknowledge, escalate, close), who acts and with which role;
gives the alert in its new status, an `alert_event` row and an audit row written in the same
transaction. Which role may take which action from which status is data (the `workflow` section
of the routing file); a national epidemiologist acts only on alerts of their own country.
Alerts still `new` past their deadline escalate by themselves (`escalate_overdue`), and an
escalation queues messages to the escalation recipients in the outbox.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from amrwatch.alert import model
from amrwatch.alert.outbox import (
    ALERT_EVENT,
    SYSTEM_ACTOR,
    enqueue,
    lock_alerts,
    next_ids,
    now_utc,
    rule_set,
)
from amrwatch.alert.routing import Routing, load_routing
from amrwatch.errors import ConfigurationError, InputError, PermissionDenied

if TYPE_CHECKING:
    from amrwatch.detect.rules import RuleSet
    from amrwatch.store import Store

#: Words people type for the workflow actions (the CLI's `ack`).
ACTIONS = {"ack": "acknowledge", "acknowledge": "acknowledge", "escalate": "escalate",
           "close": "close"}
ALERT_SIGNAL_SQL = """
SELECT a.alert_id, a.status, a.title, a.raised_at, a.escalate_at, a.updated_at,
       s.signal_id, s.kind, s.detector, s.severity, s.country, s.lab_code, s.mo, s.phenotype,
       s.window_start, s.window_end, s.evidence
FROM alert a JOIN signal s ON s.signal_id = a.signal_id
"""


def get_alert(store: Store, alert_id: int) -> dict[str, Any]:
    rows = store.query(f"{ALERT_SIGNAL_SQL} WHERE a.alert_id = ?", [int(alert_id)]).to_pylist()
    if not rows:
        raise InputError("No such alert", {"alert_id": alert_id},
                         hint="`amrwatch alerts list` shows the alerts and their numbers")
    return rows[0]


def check_allowed(alert: dict[str, Any], action: str, role: Any, country: str | None,
                  routing: Routing) -> dict[str, Any]:
    """The workflow step for `action`, or PermissionDenied / InputError saying why not."""
    from amrwatch.api.roles import Role

    step = routing.workflow.get(ACTIONS.get(action, action))
    if step is None:
        raise ConfigurationError(f"Unknown alert action {action!r}", {"action": action},
                                 hint="use one of: " + ", ".join(sorted(routing.workflow)))
    unknown = set(step["roles"]) - {r.value for r in Role}
    if unknown:  # checked here, not when loading: the role list lives with the web service
        raise ConfigurationError(f"Unknown role(s) {', '.join(sorted(unknown))} in the routing file",
                                 {"file": routing.path, "entry": f"workflow.{ACTIONS.get(action, action)}"},
                                 hint="roles: " + ", ".join(r.value for r in Role))
    role = Role.parse(role) if isinstance(role, str) else role
    if role.value not in step["roles"]:
        raise PermissionDenied(f"Your role ({role.value}) may not {ACTIONS.get(action, action)} alerts",
                               {"alert_id": alert["alert_id"], "action": action},
                               hint="roles allowed: " + ", ".join(step["roles"]))
    if role is Role.NATIONAL_EPIDEMIOLOGIST and (not country or alert.get("country") != country):
        raise PermissionDenied("A national epidemiologist acts only on alerts of their own country",
                               {"alert_id": alert["alert_id"], "alert_country": alert.get("country"),
                                "your_country": country},
                               hint="ask a responder of the regional centre to act on it")
    if alert["status"] not in step["from"]:
        raise InputError(f"Alert {alert['alert_id']} is {alert['status']}; it cannot be "
                         f"{step['to']} now", {"alert_id": alert["alert_id"], "action": action},
                         hint="possible from: " + ", ".join(step["from"]))
    return step


def transition(store: Store, alert_id: int, action: str, actor: str, role: Any,
               note: str | None = None, *, country: str | None = None,
               routing: Routing | None = None, ruleset: RuleSet | None = None,
               now: dt.datetime | None = None) -> dict[str, Any]:
    """Move an alert on (acknowledge / ack, escalate, close); return it in its new status.

    `role` is a role name or `amrwatch.api.roles.Role`; `country` is the actor's own country
    (needed for national epidemiologists). Wrong role or country → PermissionDenied.
    """
    routing, now = routing or load_routing(), now or now_utc()
    with store.transaction():
        lock_alerts(store)
        alert = get_alert(store, alert_id)
        step = check_allowed(alert, action, role, country, routing)
        role_name = getattr(role, "value", role)
        _move(store, alert, ACTIONS.get(action, action), step["to"], actor, role_name, note, now)
        if step["to"] == "escalated":
            _notify_escalation(store, alert, routing, ruleset or rule_set(), now)
    return get_alert(store, alert_id)


def _move(store: Store, alert: dict[str, Any], action: str, to_status: str, actor: str,
          role: str | None, note: str | None, now: dt.datetime) -> None:
    store.execute("UPDATE alert SET status = ?, updated_at = ? WHERE alert_id = ?",
                  [to_status, now, alert["alert_id"]])
    event_id = next_ids(store, "alert_event_id_seq", 1)[0]
    event = {"event_id": event_id, "alert_id": alert["alert_id"], "logged_at": now, "actor": actor,
             "role": role, "action": action, "from_status": alert["status"],
             "to_status": to_status, "note": note}
    store.backend.append("alert_event", pa.Table.from_pylist([event], schema=ALERT_EVENT))
    store.audit(actor, f"alert.{action}", f"alert:{alert['alert_id']}",
                {"from": alert["status"], "to": to_status, "role": role, "note": note})


def _notify_escalation(store: Store, alert: dict[str, Any], routing: Routing, ruleset: RuleSet,
                       now: dt.datetime) -> None:
    view = model.routing_view(alert)
    targets = routing.escalation_targets(view) + routing.route(view)
    enqueue(store, [(alert["alert_id"], alert, targets)], model.ESCALATED, routing, ruleset, now)


def escalate_overdue(store: Store, routing: Routing | None = None, ruleset: RuleSet | None = None,
                     now: dt.datetime | None = None) -> list[int]:
    """Escalate every alert still `new` after its deadline; return their ids."""
    routing, now = routing or load_routing(), now or now_utc()
    escalated: list[int] = []
    with store.transaction():
        lock_alerts(store)
        overdue = store.query(f"{ALERT_SIGNAL_SQL} WHERE a.status = 'new' AND a.escalate_at <= ? "
                              "ORDER BY a.alert_id", [now]).to_pylist()
        if not overdue:
            return escalated
        ruleset = ruleset or rule_set()  # loaded only when there is something to escalate
        for alert in overdue:
            wait = routing.escalate_after(alert["severity"])
            if wait is None:  # routing changed since the alert was raised: the deadline it was given
                wait = alert["escalate_at"] - alert["raised_at"]
            hours = wait.total_seconds() / 3600
            note = f"not acknowledged within {hours:g} h (escalation.acknowledge_within_hours)"
            _move(store, alert, "escalate", "escalated", SYSTEM_ACTOR, None, note, now)
            _notify_escalation(store, alert, routing, ruleset, now)
            escalated.append(alert["alert_id"])
    return escalated
