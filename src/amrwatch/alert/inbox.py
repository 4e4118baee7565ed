"""Reading alerts: the inbox list and one alert in full, within the caller's scope.

Takes filters (status, severity, country) and optionally the caller (`amrwatch.api.roles.Caller`);
gives an Arrow table of alerts, most urgent and newest first, or one alert with its evidence,
workflow events and deliveries. A national epidemiologist sees alerts of their own country, a
lab submitter those of their own lab; region-wide roles see every alert.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyarrow as pa

from amrwatch.alert import model
from amrwatch.alert.workflow import get_alert
from amrwatch.errors import PermissionDenied

if TYPE_CHECKING:
    from amrwatch.store import Store

LIST_SQL = """
SELECT a.alert_id, a.status, a.severity, a.title, a.country, a.lab_code, s.kind, s.detector,
       s.mo, s.phenotype, s.window_start, s.window_end, a.raised_at, a.escalate_at, a.updated_at,
       (SELECT count(*) FROM outbox o WHERE o.alert_id = a.alert_id AND o.status = 'pending')
           AS deliveries_pending,
       (SELECT count(*) FROM outbox o WHERE o.alert_id = a.alert_id AND o.status = 'delivered')
           AS deliveries_done
FROM alert a JOIN signal s ON s.signal_id = a.signal_id
"""
SEVERITY_ORDER = ("CASE a.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 "
                  "WHEN 'medium' THEN 2 ELSE 3 END")


def scope_of(caller: Any) -> tuple[list[str], list[Any]]:
    """SQL conditions limiting alerts to what `caller` may see (none for region-wide roles).

    Region-level alerts (a first occurrence in the region, which names no country) belong to
    the regional centre: national users see the country-level alert of the same isolate.
    """
    if caller is None or caller.region_wide:
        return [], []
    if caller.role.value == "lab_submitter":
        return ["a.lab_code = ?"], [caller.lab_code]
    return ["a.country = ?"], [caller.country]


def list_alerts(store: Store, *, status: str | list[str] | None = None, severity: str | None = None,
                country: str | None = None, lab_code: str | None = None, caller: Any = None,
                limit: int | None = None) -> pa.Table:
    """Alerts matching the filters within the caller's scope, most urgent and newest first.

    `status` may be a list (e.g. ["new", "escalated"] for the open inbox).
    """
    where, params = scope_of(caller)
    statuses = [status] if isinstance(status, str) else status
    if statuses:
        where.append("a.status IN (" + ", ".join("?" for _ in statuses) + ")")
        params += list(statuses)
    for column, value in (("a.severity", severity), ("a.country", country), ("a.lab_code", lab_code)):
        if value:
            where.append(f"{column} = ?")
            params.append(value)
    sql = LIST_SQL + (" WHERE " + " AND ".join(where) if where else "")
    sql += f" ORDER BY {SEVERITY_ORDER}, a.raised_at DESC, a.alert_id DESC"
    sql += f" LIMIT {int(limit)}" if limit else ""
    return store.query(sql, params)


def alert_detail(store: Store, alert_id: int, caller: Any = None) -> dict[str, Any]:
    """One alert with its evidence (parsed JSON), events (oldest first) and deliveries."""
    alert = get_alert(store, alert_id)
    if caller is not None and not _may_see(caller, alert):
        raise PermissionDenied("You may not see this alert", {"alert_id": alert_id,
                                                              "user": caller.username},
                               hint="national users see alerts of their own country only")
    alert["evidence"] = model.evidence_of(alert)
    if caller is not None and not _sees_isolates(store, caller, alert):
        alert["evidence"] = model.without_isolates(alert["evidence"])
    alert["countries"] = model.countries_of(alert)
    alert["events"] = store.query(
        "SELECT logged_at, actor, role, action, from_status, to_status, note FROM alert_event "
        "WHERE alert_id = ? ORDER BY event_id", [int(alert_id)]).to_pylist()
    alert["deliveries"] = store.query(
        "SELECT delivery_id, event, channel, recipient, address, status, attempts, "
        "next_attempt_at, last_error, delivered_at FROM outbox WHERE alert_id = ? "
        "ORDER BY delivery_id", [int(alert_id)]).to_pylist()
    return alert


def _sees_isolates(store: Store, caller: Any, alert: dict[str, Any]) -> bool:
    """The web service's sharing rule (`Caller.sees_isolates_of`) for every country concerned;
    a lab submitter sees the isolates of an alert about their own lab."""
    if caller.role.value == "lab_submitter":
        return alert.get("lab_code") == caller.lab_code
    for country in model.countries_of(alert):
        shared = store.query("SELECT count(*) AS n FROM lab WHERE country = ? AND sharing = 'aggregate'",
                             [country])["n"][0].as_py()
        if not caller.sees_isolates_of(country, "aggregate" if shared else "isolate"):
            return False
    return True


def _may_see(caller: Any, alert: dict[str, Any]) -> bool:
    if caller.region_wide:
        return True
    if caller.role.value == "lab_submitter":
        return alert.get("lab_code") == caller.lab_code
    return alert.get("country") == caller.country
