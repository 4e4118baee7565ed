"""Alerts: signals become alerts that reach responders, with a workflow and an audit trail.

Takes SIGNAL rows from amrwatch.detect (or runs detection over the store); gives stored alerts
routed by data (`data/routing.yaml`: country, severity, organism, phenotype → recipients and
channels), messages in a transactional outbox delivered by a dispatcher over webhooks (JSON,
HMAC-SHA256 signed) and SMTP e-mail with idempotency keys, and the workflow
new → acknowledged → escalated → closed by role, with every step in `alert_event` and the audit
log. See docs/alerts.md.

    raise_alerts(store, signals)                  # after detection: new events only
    dispatch_once(store)                          # deliver what waits, escalate what is overdue
    list_alerts(store, status=["new", "escalated"], caller=caller)
    transition(store, 12, "acknowledge", "maria", "national_epidemiologist", country="ARG")
"""

from amrwatch.alert.channels import CHANNEL_TYPES, Delivery, DeliveryFailed, channel_type, verify
from amrwatch.alert.detection import DetectionOutcome, detect_and_alert
from amrwatch.alert.dispatch import DispatchReport, dispatch_once
from amrwatch.alert.inbox import alert_detail, list_alerts
from amrwatch.alert.outbox import raise_alerts
from amrwatch.alert.routing import Routing, load_routing
from amrwatch.alert.workflow import escalate_overdue, transition

__all__ = ["CHANNEL_TYPES", "Delivery", "DeliveryFailed", "DetectionOutcome", "DispatchReport",
           "Routing", "alert_detail", "channel_type", "detect_and_alert", "dispatch_once",
           "escalate_overdue", "list_alerts", "load_routing", "raise_alerts", "transition",
           "verify"]
