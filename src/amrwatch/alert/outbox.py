"""Raising alerts: signals, alerts, their first event and outbox rows in one transaction.

Takes SIGNAL rows from detection; gives stored alerts, each with the messages its routing asks
for waiting in the outbox. Everything is written in one transaction (the transactional outbox
pattern): either the signal, its alert and every message to send exist together, or nothing
does, so a crash between detection and delivery never loses an alert. Signal ids identify
events: a signal already stored raises nothing (its evidence is refreshed, e.g. a growing
cluster), so re-running detection after each upload never alerts twice on one event.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from amrwatch.alert import model
from amrwatch.alert.routing import Routing, Target, load_routing
from amrwatch.errors import InputError
from amrwatch.schemas import SIGNAL

if TYPE_CHECKING:
    from amrwatch.detect.rules import RuleSet
    from amrwatch.store import Store

SYSTEM_ACTOR = "amrwatch"
TIMESTAMP = pa.timestamp("us", tz="UTC")
ALERT = pa.schema([("alert_id", pa.int64()), ("signal_id", pa.string()), ("severity", pa.string()),
                   ("country", pa.string()), ("lab_code", pa.string()), ("title", pa.string()),
                   ("status", pa.string()), ("raised_at", TIMESTAMP), ("escalate_at", TIMESTAMP),
                   ("updated_at", TIMESTAMP)])
ALERT_EVENT = pa.schema([("event_id", pa.int64()), ("alert_id", pa.int64()), ("logged_at", TIMESTAMP),
                         ("actor", pa.string()), ("role", pa.string()), ("action", pa.string()),
                         ("from_status", pa.string()), ("to_status", pa.string()),
                         ("note", pa.string())])
AUDIT = pa.schema([("logged_at", TIMESTAMP), ("actor", pa.string()), ("action", pa.string()),
                   ("target", pa.string()), ("details", pa.string())])
OUTBOX = pa.schema([("delivery_id", pa.int64()), ("alert_id", pa.int64()), ("event", pa.string()),
                    ("channel", pa.string()), ("recipient", pa.string()), ("address", pa.string()),
                    ("idempotency_key", pa.string()), ("payload", pa.string()),
                    ("status", pa.string()), ("attempts", pa.int32()),
                    ("next_attempt_at", TIMESTAMP), ("created_at", TIMESTAMP)])


def rule_set() -> RuleSet:
    """The packaged detection rules (descriptions and phenotype labels for messages)."""
    from amrwatch.detect.rules import load_rules

    return load_rules()


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def next_ids(store: Store, sequence: str, n: int) -> list[int]:
    """`n` values of a store sequence in one statement."""
    if n == 0:
        return []
    table = store.query(f"SELECT nextval('{sequence}') AS id FROM generate_series(1, {int(n)}) AS g(i)")
    return sorted(table.column("id").to_pylist())


def lock_alerts(store: Store) -> None:
    """One writer of alerts at a time on a PostgreSQL hub (a DuckDB file has one writer anyway)."""
    if store.backend.dialect == "postgresql":
        store.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.alert'))", [])


def conform(signals: pa.Table) -> pa.Table:
    """The SIGNAL columns (missing optional ones as nulls), one row per signal id, checked."""
    columns = {}
    for field in SIGNAL:
        if field.name in signals.column_names:
            columns[field.name] = pc.cast(signals.column(field.name), field.type)
        elif field.name in ("signal_id", "kind", "detector", "severity"):
            raise InputError(f"Signals lack the column {field.name!r}",
                             {"columns": ", ".join(signals.column_names)},
                             hint="give signals as written by `amrwatch detect` (SIGNAL schema)")
        else:
            columns[field.name] = pa.nulls(signals.num_rows, field.type)
    table = pa.table(columns, schema=SIGNAL)
    ids = table.column("signal_id").to_pylist()
    first = sorted({sid: i for i, sid in reversed(list(enumerate(ids)))}.values())
    return table.take(pa.array(first, pa.int64()))


def _check_severities(signals: pa.Table, routing: Routing) -> None:
    bad = pc.invert(pc.is_in(signals.column("severity"), pa.array(routing.severities)))
    wrong = signals.filter(pc.fill_null(bad, True)).slice(0, 1).to_pylist()
    if wrong:
        raise InputError("A signal has an unknown severity",
                         {"signal_id": wrong[0]["signal_id"], "severity": wrong[0]["severity"]},
                         hint="severities: " + ", ".join(routing.severities))


def raise_alerts(store: Store, signals: pa.Table, routing: Routing | None = None,
                 ruleset: RuleSet | None = None, now: dt.datetime | None = None,
                 actor: str = SYSTEM_ACTOR) -> int:
    """Store new signals with their alerts and outbox rows; return how many alerts were raised."""
    routing, now = routing or load_routing(), now or now_utc()
    signals = conform(signals)
    _check_severities(signals, routing)
    with store.transaction():
        lock_alerts(store)
        store.backend.stage("incoming_signal", signals)
        store.execute(
            "UPDATE signal SET evidence = n.evidence, window_end = n.window_end, last_seen_at = ? "
            "FROM incoming_signal n WHERE signal.signal_id = n.signal_id "
            "AND (signal.evidence <> n.evidence OR signal.window_end <> n.window_end)", [now])
        known = store.query("SELECT s.signal_id FROM signal s JOIN incoming_signal n "
                            "ON n.signal_id = s.signal_id").column("signal_id")
        new = signals.filter(pc.invert(pc.is_in(signals.column("signal_id"), value_set=known.combine_chunks())))
        if new.num_rows == 0:
            return 0
        stamped = new.append_column("first_seen_at", pa.array([now] * new.num_rows, TIMESTAMP)) \
                     .append_column("last_seen_at", pa.array([now] * new.num_rows, TIMESTAMP))
        store.backend.append("signal", stamped)
        _store_alerts(store, new.to_pylist(), routing, ruleset or rule_set(), now, actor)
    return new.num_rows


def _store_alerts(store: Store, signals: list[dict[str, Any]], routing: Routing, ruleset: RuleSet,
                  now: dt.datetime, actor: str) -> None:
    alert_ids = next_ids(store, "alert_id_seq", len(signals))
    alerts, events = [], []
    for alert_id, event_id, signal in zip(alert_ids, next_ids(store, "alert_event_id_seq", len(signals)), signals):
        wait = routing.escalate_after(signal["severity"])
        alerts.append({"alert_id": alert_id, "signal_id": signal["signal_id"],
                       "severity": signal["severity"], "country": signal["country"],
                       "lab_code": signal["lab_code"], "title": model.title(signal, ruleset, routing),
                       "status": "new", "raised_at": now, "escalate_at": now + wait if wait else None,
                       "updated_at": now})
        events.append({"event_id": event_id, "alert_id": alert_id, "logged_at": now, "actor": actor,
                       "role": None, "action": "raise", "from_status": None, "to_status": "new",
                       "note": signal["detector"]})
    store.backend.append("alert", pa.Table.from_pylist(alerts, schema=ALERT))
    store.backend.append("alert_event", pa.Table.from_pylist(events, schema=ALERT_EVENT))
    items = [(a["alert_id"], s, routing.route(model.routing_view(s))) for a, s in zip(alerts, signals)]
    enqueue(store, items, model.RAISED, routing, ruleset, now)
    # The audit rows Store.audit would write, one per alert, appended in one bulk write: a
    # first detection over a long history can raise thousands of alerts at once.
    store.backend.append("audit", pa.Table.from_pylist([
        {"logged_at": now, "actor": actor, "action": "alert.raise",
         "target": f"alert:{alert['alert_id']}",
         "details": json.dumps({"signal_id": signal["signal_id"], "severity": signal["severity"],
                                "detector": signal["detector"], "country": signal["country"]},
                               ensure_ascii=False)}
        for alert, signal in zip(alerts, signals)], schema=AUDIT))


def enqueue(store: Store, items: list[tuple[int, dict[str, Any], list[Target]]], event: str,
            routing: Routing, ruleset: RuleSet, now: dt.datetime) -> int:
    """Outbox rows for (alert id, signal, targets) items; a message whose idempotency key is
    already in the outbox is not queued twice."""
    rows, seen = [], set()
    aggregate = set(store.query("SELECT DISTINCT country FROM lab WHERE sharing = 'aggregate'")
                    .column("country").to_pylist())
    for alert_id, signal, targets in items:
        for target in targets:
            key = model.idempotency_key(signal["signal_id"], event, target)
            if key in seen:
                continue
            seen.add(key)
            body = model.payload(alert_id, signal, event, target, ruleset, routing, aggregate)
            rows.append({"alert_id": alert_id, "event": event, "channel": target.channel,
                         "recipient": target.recipient, "address": target.address,
                         "idempotency_key": key, "status": "pending", "attempts": 0,
                         "payload": json.dumps(body, ensure_ascii=False, default=str),
                         "next_attempt_at": now, "created_at": now})
    if rows:
        queued = set(store.query("SELECT idempotency_key FROM outbox WHERE alert_id IN ("
                                 + ", ".join(str(int(i)) for i, _, _ in items) + ")")
                     .column(0).to_pylist())
        rows = [r for r in rows if r["idempotency_key"] not in queued]
    for row, delivery_id in zip(rows, next_ids(store, "outbox_id_seq", len(rows))):
        row["delivery_id"] = delivery_id
    if rows:
        store.backend.append("outbox", pa.Table.from_pylist(rows, schema=OUTBOX))
    return len(rows)
