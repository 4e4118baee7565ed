"""Delivery through the outbox to a real HTTP receiver and a real SMTP server (aiosmtpd).

What must hold (issue 8): an alert is stored before delivery; a receiver that is down delays
delivery but never loses it; each message reaches the receiver exactly once as the receiver
counts it (by idempotency key), even when an answer is lost and the message is sent again; the
receiver verifies the HMAC-SHA256 signature with its own key. Time is injected, never slept.
Every case runs on DuckDB and on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt

import pytest
from alert_receivers import (
    SmtpReceiver,
    WebhookReceiver,
    routing_file,
    signal_rows,
)

from amrwatch.alert import dispatch_once, load_routing, raise_alerts
from amrwatch.store import open_store

SECRET = "receiver-and-hub-share-this-key"
T0 = dt.datetime(2026, 3, 10, 8, 0, tzinfo=dt.UTC)
# The two test signals route to: regional centre e-mail + webhook, and one national focal
# point e-mail each (packaged routing.yaml rules) → 2 webhooks and 4 e-mails.
WEBHOOKS, EMAILS = 2, 4




@pytest.fixture
def receivers(tmp_path, monkeypatch):
    monkeypatch.setenv("AMRWATCH_TEST_WEBHOOK_SECRET", SECRET)
    hook, smtp = WebhookReceiver(SECRET), SmtpReceiver()
    routing = load_routing(routing_file(tmp_path, hook.url, smtp.port, first_delay=60))
    yield hook, smtp, routing
    hook.stop()
    smtp.stop()


def _pending(store) -> int:
    return store.query("SELECT count(*) AS n FROM outbox WHERE status = 'pending'")["n"][0].as_py()


def test_receivers_down_delay_but_never_lose_and_deliver_exactly_once(store_url, receivers):
    hook, smtp, routing = receivers
    hook.start()
    smtp.start()
    hook.stop()  # the responders' systems go down …
    smtp.stop()
    with open_store(store_url) as store:
        assert raise_alerts(store, signal_rows(), routing=routing, now=T0) == 2
        assert _pending(store) == WEBHOOKS + EMAILS  # stored before any delivery

        down = dispatch_once(store, routing, now=T0)  # both receivers are down
        assert down.delivered == 0 and len(down.failed) == WEBHOOKS + EMAILS
        assert _pending(store) == WEBHOOKS + EMAILS
        retry = store.query("SELECT DISTINCT attempts, next_attempt_at FROM outbox").to_pylist()
        assert retry == [{"attempts": 1, "next_attempt_at": T0 + dt.timedelta(seconds=60)}]

        hook.start()  # … and come back on the same address
        smtp.start()
        early = dispatch_once(store, routing, now=T0 + dt.timedelta(seconds=30))
        assert early.delivered == 0 and not early.failed  # backoff: not yet due

        # The same detection run again before delivery raises nothing new.
        assert raise_alerts(store, signal_rows(), routing=routing, now=T0 + dt.timedelta(seconds=40)) == 0

        back = dispatch_once(store, routing, now=T0 + dt.timedelta(seconds=60))
        assert back.delivered == WEBHOOKS + EMAILS and not back.failed
        assert dispatch_once(store, routing, now=T0 + dt.timedelta(minutes=30)).delivered == 0
        assert _pending(store) == 0

    assert hook.requests == WEBHOOKS and len(hook.messages) == WEBHOOKS and hook.refused == 0
    assert smtp.inbox.received == EMAILS and len(smtp.inbox.messages) == EMAILS
    severities = sorted(m["alert"]["severity"] for m in hook.messages.values())
    assert severities == ["critical", "high"]


def test_lost_answer_is_resent_with_the_same_key_and_the_receiver_keeps_one(store_url, receivers):
    hook, smtp, routing = receivers
    hook.start()
    smtp.start()
    hook.lose_answers = 1  # the first webhook is stored by the receiver, the answer never arrives
    with open_store(store_url) as store:
        raise_alerts(store, signal_rows(), routing=routing, now=T0)
        first = dispatch_once(store, routing, now=T0)
        assert first.delivered == WEBHOOKS + EMAILS - 1 and len(first.failed) == 1
        lost = first.failed[0]
        assert lost["channel"] == "webhook"
        second = dispatch_once(store, routing, now=T0 + dt.timedelta(minutes=1))
        assert second.delivered == 1 and _pending(store) == 0
        keys = store.query("SELECT idempotency_key FROM outbox WHERE channel = 'webhook'")
    assert hook.requests == WEBHOOKS + 1  # the lost one was sent twice …
    assert sorted(hook.messages) == sorted(keys["idempotency_key"].to_pylist())  # … kept once


def test_receiver_refuses_a_wrong_signature_and_the_message_waits(store_url, receivers, monkeypatch):
    hook, smtp, routing = receivers
    hook.start()
    smtp.start()
    monkeypatch.setenv("AMRWATCH_TEST_WEBHOOK_SECRET", "not-the-receivers-key")
    with open_store(store_url) as store:
        raise_alerts(store, signal_rows(), routing=routing, now=T0)
        report = dispatch_once(store, routing, now=T0)
        assert [f["error"] for f in report.failed] == [f"HTTP 401 from {hook.url}"] * WEBHOOKS
        assert hook.refused == WEBHOOKS and not hook.messages
        monkeypatch.setenv("AMRWATCH_TEST_WEBHOOK_SECRET", SECRET)  # the hub's key is fixed
        assert dispatch_once(store, routing, now=T0 + dt.timedelta(minutes=1)).delivered == WEBHOOKS
    assert len(hook.messages) == WEBHOOKS


def test_webhook_without_a_signing_key_is_not_sent(tmp_path, receivers, monkeypatch):
    hook, smtp, routing = receivers
    hook.start()
    smtp.start()
    monkeypatch.delenv("AMRWATCH_TEST_WEBHOOK_SECRET")
    with open_store(tmp_path / "hub.duckdb") as store:
        raise_alerts(store, signal_rows(), routing=routing, now=T0)
        report = dispatch_once(store, routing, now=T0)
    assert hook.requests == 0
    assert {f["error"] for f in report.failed} == {
        "no signing key: set the environment variable AMRWATCH_TEST_WEBHOOK_SECRET"}


def test_email_in_the_recipients_language_with_the_key_as_message_id(tmp_path, receivers):
    hook, smtp, routing = receivers
    hook.start()
    smtp.start()
    with open_store(tmp_path / "hub.duckdb") as store:
        raise_alerts(store, signal_rows(), routing=routing, now=T0)
        dispatch_once(store, routing, now=T0)
        rows = store.query("SELECT address, idempotency_key FROM outbox WHERE channel = 'email'")
    by_address = {m["To"]: m for m in smtp.inbox.messages.values()}
    assert set(by_address) == set(rows["address"].to_pylist())  # the regional centre gets two
    # Brazil's focal point reads Portuguese (routing.yaml countries.BRA.language: pt).
    brazil = by_address["ram-ponto-focal@saude.example.org"]
    assert brazil["Subject"].startswith("[amrwatch] Alerta CRÍTICO 1:")
    assert "Gravidade: CRÍTICO" in brazil.get_content()
    argentina = by_address["amr-focal-point.arg@example.org"]
    assert argentina["Subject"].startswith("[amrwatch] Alerta ALTA 2:")
    keys = rows["idempotency_key"].to_pylist()
    assert sorted(smtp.inbox.messages) == sorted(f"<{key}@amrwatch>" for key in keys)
    assert all(m["Idempotency-Key"] in keys for m in smtp.inbox.messages.values())
