"""The alerts inbox: list, filter, detail with evidence, and workflow actions by role.

Takes the caller and the data-access layer; gives the alerts of the caller's scope (a national
epidemiologist: their country's; region-wide roles: all). The evidence of an alert can name
isolates, so it is shown only to callers who may see the country's isolate-level data. Workflow
transitions (acknowledge, escalate, close) are the alert stage's (`amrwatch.alert`), which keeps
their audit trail; this module only checks who may ask for them.
"""

from __future__ import annotations

import json

from amrwatch.api import queries
from amrwatch.api.access import DataAccess, where_equal
from amrwatch.api.roles import ALERT_HANDLERS, Caller, Role
from amrwatch.errors import InputError, PermissionDenied

ACTIONS = ("acknowledge", "escalate", "close")
VIEWERS = set(Role) - {Role.LAB_SUBMITTER}


def _scope(caller: Caller) -> tuple[str, list]:
    # Region-wide events (country null, e.g. a cross-border cluster) are for region-wide roles.
    if caller.role is Role.NATIONAL_EPIDEMIOLOGIST:
        return "(country = ?)", [caller.country]
    return "(TRUE)", []


class AlertInbox:
    def __init__(self, access: DataAccess) -> None:
        self.access = access
        self.store = access.store

    def alerts(self, caller: Caller, status: str | None = None, severity: str | None = None,
               country: str | None = None, limit: int = 200) -> list[dict]:
        """Alerts in scope, newest first, filtered by status, severity and country."""
        caller.require(VIEWERS, "see alerts")
        if self.store.query(queries.HAS_ALERTS, []).to_pylist()[0]["n"] < 3:
            return []  # a store without the alert stage's tables has no alerts yet
        scope, params = _scope(caller)
        where, extra = where_equal(status=status, severity=severity, country=country)
        sql = (f"SELECT * FROM ({queries.ALERTS}) a WHERE {scope}{where} "
               f"ORDER BY raised_at DESC, alert_id DESC LIMIT {int(min(max(limit, 1), 1000))}")
        return self.store.query(sql, params + extra).to_pylist()

    def alert(self, caller: Caller, alert_id: int) -> dict:
        """One alert with its workflow steps and, where the caller may see it, its evidence."""
        caller.require(VIEWERS, "see alerts")
        scope, params = _scope(caller)
        rows = self.store.query(f"SELECT * FROM ({queries.ALERTS}) a WHERE {scope} "
                                "AND alert_id = ?", params + [alert_id]).to_pylist()
        if not rows:
            raise PermissionDenied("You may not see this alert, or it does not exist",
                                   {"alert": alert_id}, hint="Pick an alert from the inbox.")
        found = rows[0]
        found["events"] = self.store.query(queries.ALERT_EVENTS, [alert_id]).to_pylist()
        found["evidence"] = self._evidence(caller, found)
        found["actions"] = list(ACTIONS) if caller.role in ALERT_HANDLERS else []
        return found

    def _evidence(self, caller: Caller, alert: dict) -> dict | None:
        country = alert["country"]
        policy = self.access.policies().get(country, "aggregate") if country else "isolate"
        if country and not caller.sees_isolates_of(country, policy):
            return None  # an aggregate-only country's isolates stay inside it
        text = self.store.query(queries.ALERT_EVIDENCE, [alert["alert_id"]]).to_pylist()
        return json.loads(text[0]["evidence"] or "{}") if text else None

    def act(self, caller: Caller, alert_id: int, action: str, note: str | None = None) -> dict:
        """Acknowledge, escalate or close an alert in the caller's scope."""
        if action not in ACTIONS:
            raise InputError("Unknown alert action", {"action": action},
                             hint="Use acknowledge, escalate or close.")
        caller.require(ALERT_HANDLERS, f"{action} alerts")
        self.alert(caller, alert_id)  # refuses alerts outside the caller's scope
        from amrwatch.alert import workflow

        workflow.transition(self.store, alert_id, action, actor=caller.username,
                            role=caller.role.value, note=note)
        return self.alert(caller, alert_id)
