"""The alerts inbox of the web service: the alert stage's inbox and workflow, for one caller.

Takes the caller and the data-access layer; gives alerts of the caller's scope as the alert
stage reads them (`amrwatch.alert.inbox`: national users their country's, lab submitters their
lab's, region-wide roles all), the actions the caller may take now (the `workflow` section of the
routing file), and runs those actions through `amrwatch.alert.workflow`, which keeps the audit
trail. One rule is added here: an alert's evidence can name isolates, so it is shown only to
callers who may see the country's isolate-level data (aggregate-only countries keep theirs).
"""

from __future__ import annotations

from amrwatch.api import queries
from amrwatch.api.access import DataAccess
from amrwatch.api.roles import Caller, Role


class AlertInbox:
    def __init__(self, access: DataAccess) -> None:
        self.access = access
        self.store = access.store

    def _available(self) -> bool:
        return self.store.query(queries.HAS_ALERTS, []).to_pylist()[0]["n"] >= 3

    def alerts(self, caller: Caller, status: str | None = None, severity: str | None = None,
               country: str | None = None, limit: int = 200) -> list[dict]:
        """Alerts in scope, most urgent and newest first, filtered by status/severity/country."""
        if not self._available():
            return []  # a store made before the alert stage's tables has no alerts yet
        from amrwatch.alert.inbox import list_alerts

        return list_alerts(self.store, status=status or None, severity=severity or None,
                           country=country or None, caller=caller,
                           limit=min(max(int(limit), 1), 1000)).to_pylist()

    def alert(self, caller: Caller, alert_id: int) -> dict:
        """One alert with its events, the caller's possible actions and (if allowed) evidence."""
        from amrwatch.alert.inbox import alert_detail

        found = alert_detail(self.store, alert_id, caller)
        if not self._may_see_evidence(caller, found):
            found["evidence"] = None
        found["actions"] = self._actions(caller, found)
        return found

    def _may_see_evidence(self, caller: Caller, alert: dict) -> bool:
        policies = self.access.policies()
        countries = alert.get("countries") or ([alert["country"]] if alert.get("country") else [])
        return all(caller.sees_isolates_of(c, policies.get(c, "aggregate")) or
                   (caller.role is Role.LAB_SUBMITTER and alert.get("lab_code") == caller.lab_code)
                   for c in countries)

    def _actions(self, caller: Caller, alert: dict) -> list[str]:
        from amrwatch.alert.routing import load_routing

        own = caller.region_wide or alert.get("country") == caller.country
        return [action for action, step in load_routing().workflow.items()
                if own and caller.role.value in step["roles"] and alert["status"] in step["from"]]

    @staticmethod
    def titles(alerts: list[dict], language: str) -> None:
        """Each alert's title in `language`, as the alert stage words its messages."""
        from amrwatch.alert.model import title
        from amrwatch.alert.routing import load_routing
        from amrwatch.detect.rules import load_rules

        ruleset, routing = load_rules(), load_routing()
        for alert in alerts:
            alert["title"] = title({**alert, "evidence": None}, ruleset, routing, language)

    def act(self, caller: Caller, alert_id: int, action: str, note: str | None = None) -> dict:
        """Acknowledge, escalate or close an alert (the alert stage checks role and country)."""
        from amrwatch.alert import workflow

        self.alert(caller, alert_id)  # refuses alerts outside the caller's scope
        workflow.transition(self.store, alert_id, action, caller.username, caller.role, note,
                            country=caller.country)
        self.access.counts.invalidate()
        return self.alert(caller, alert_id)
