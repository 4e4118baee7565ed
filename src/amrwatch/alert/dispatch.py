"""The dispatcher: delivers what waits in the outbox, and keeps trying until it is delivered.

Takes the store's outbox and the channels of the routing file; gives each due message one
delivery attempt. A confirmed message is marked delivered; a failed one stays pending with its
error and a next attempt after an exponential backoff (`retry` in the routing file), so a
channel that is down delays delivery but never loses it. A message whose confirmation was lost
(delivered, but the answer never came back) is sent again with the same idempotency key, and
the receiver keeps one. Overdue alerts are escalated first, so one `dispatch` run does both.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from amrwatch.alert.channels import Channel, Delivery, DeliveryFailed, make_channel
from amrwatch.alert.outbox import now_utc
from amrwatch.alert.routing import Routing, load_routing
from amrwatch.alert.workflow import escalate_overdue
from amrwatch.errors import StoreError

if TYPE_CHECKING:
    from amrwatch.store import Store


@dataclass
class DispatchReport:
    escalated: list[int] = field(default_factory=list)
    delivered: int = 0
    failed: list[dict[str, Any]] = field(default_factory=list)  # delivery_id, address, error
    waiting: int = 0  # still pending after this run (including those not yet due)


def due(store: Store, now: dt.datetime, limit: int) -> list[dict[str, Any]]:
    return store.query(
        "SELECT delivery_id, channel, address, idempotency_key, payload, attempts FROM outbox "
        "WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, delivery_id "
        f"LIMIT {int(limit)}", [now]).to_pylist()


def dispatch_once(store: Store, routing: Routing | None = None, now: dt.datetime | None = None,
                  clock: Callable[[], dt.datetime] = now_utc, limit: int = 1000) -> DispatchReport:
    """Escalate overdue alerts, then try every due message once.

    `now` decides what is due (tests pass a fixed time); `clock` stamps attempts made later in
    a long run.
    """
    routing = routing or load_routing()
    now = now or clock()
    with _single_dispatcher(store):
        report = DispatchReport(escalated=escalate_overdue(store, routing, now=now))
        channels: dict[str, Channel] = {}
        try:
            for row in due(store, now, limit):
                channel = channels.get(row["channel"]) or channels.setdefault(
                    row["channel"], make_channel(routing.channels[row["channel"]]))
                _attempt(store, channel, row, routing, now, report)
        finally:
            for channel in channels.values():
                getattr(channel, "close", lambda: None)()
        report.waiting = int(store.backend.scalar("SELECT count(*) FROM outbox WHERE status = 'pending'"))
    return report


def _attempt(store: Store, channel: Channel, row: dict[str, Any], routing: Routing,
             now: dt.datetime, report: DispatchReport) -> None:
    delivery = Delivery(row["delivery_id"], row["channel"], row["address"],
                        row["idempotency_key"], json.loads(row["payload"]))
    attempts = int(row["attempts"]) + 1
    try:
        channel.deliver(delivery)
    except DeliveryFailed as error:
        store.execute("UPDATE outbox SET attempts = ?, next_attempt_at = ?, last_error = ? "
                      "WHERE delivery_id = ?",
                      [attempts, now + routing.backoff(attempts), str(error)[:500], row["delivery_id"]])
        report.failed.append({"delivery_id": row["delivery_id"], "channel": row["channel"],
                              "address": row["address"], "attempts": attempts, "error": str(error)})
        return
    store.execute("UPDATE outbox SET status = 'delivered', attempts = ?, delivered_at = ?, "
                  "last_error = NULL WHERE delivery_id = ?", [attempts, now, row["delivery_id"]])
    report.delivered += 1


class _single_dispatcher:
    """On a PostgreSQL hub only one dispatcher works at a time (a session advisory lock), so two
    never send the same message concurrently; a DuckDB file already has one writing process."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.postgres = store.backend.dialect == "postgresql"

    def __enter__(self) -> None:
        if self.postgres and not self.store.backend.scalar(
                "SELECT pg_try_advisory_lock(hashtext(current_schema() || '.dispatch'))"):
            raise StoreError("Another alert dispatcher is running on this store",
                             {"store": self.store.location},
                             hint="let it work; run `amrwatch alerts dispatch` in one place only")

    def __exit__(self, *exc: object) -> None:
        if self.postgres:
            self.store.backend.scalar("SELECT pg_advisory_unlock(hashtext(current_schema() || '.dispatch'))")


def dispatch_forever(url: str | None, routing: Routing | None = None, every_seconds: float = 30.0,
                     on_report: Callable[[DispatchReport | StoreError], None] | None = None) -> None:
    """Run `dispatch_once` every `every_seconds` until interrupted (Ctrl+C, SIGTERM).

    The store is opened for each pass only: a DuckDB file has one writing process, and an
    upload must not wait for the dispatcher. A pass that finds the store busy is reported and
    the next one tries again.
    """
    from amrwatch.store import open_store

    routing = routing or load_routing()
    while True:
        try:
            with open_store(url, create=False) as store:
                outcome: DispatchReport | StoreError = dispatch_once(store, routing)
        except StoreError as busy:
            outcome = busy
        if on_report is not None:
            on_report(outcome)
        time.sleep(every_seconds)
