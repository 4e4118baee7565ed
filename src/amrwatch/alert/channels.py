"""Delivery channels behind one interface: `deliver(delivery)` returns or raises DeliveryFailed.

Takes a channel's settings from the routing file and one outbox row; gives a message sent once
per attempt. Channels register by type name in `CHANNEL_TYPES` (webhook, email); the dispatcher
never knows which kind it is talking to. Every message carries the outbox row's idempotency key
so a receiver that gets a retry of a message it already has can keep just one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import smtplib
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, Protocol

import httpx

IDEMPOTENCY_HEADER = "Idempotency-Key"
SIGNATURE_HEADER = "X-Amrwatch-Signature"
TIMESTAMP_HEADER = "X-Amrwatch-Timestamp"


@dataclass(frozen=True)
class Delivery:
    """One outbox row as a channel sees it."""

    delivery_id: int
    channel: str
    address: str
    idempotency_key: str
    payload: dict[str, Any]


class DeliveryFailed(Exception):
    """The receiver did not confirm the message; the outbox will try again later."""


class Channel(Protocol):
    def deliver(self, delivery: Delivery) -> None: ...


CHANNEL_TYPES: dict[str, Callable[[dict[str, Any]], Channel]] = {}


def channel_type(name: str) -> Callable[[type], type]:
    """Register a channel class under its type name (the `type:` of a routing file channel)."""
    def register(cls: type) -> type:
        CHANNEL_TYPES[name] = cls
        return cls
    return register


def make_channel(settings: dict[str, Any]) -> Channel:
    return CHANNEL_TYPES[settings["type"]](settings)


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over "<timestamp>.<body>", hex: the timestamp inside the signature lets a
    receiver refuse an old message replayed later (the scheme of Stripe and GitHub webhooks)."""
    return "sha256=" + hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def verify(secret: bytes, timestamp: str, body: bytes, signature: str) -> bool:
    """What a receiver runs (also used by the tests' receiver): constant-time comparison."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def body_of(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")


@channel_type("webhook")
class Webhook:
    """POST the alert as JSON to the recipient's URL; any 2xx answer confirms it."""

    def __init__(self, settings: dict[str, Any]) -> None:
        self.secret_env = settings.get("secret_env", "AMRWATCH_WEBHOOK_SECRET")
        # One client for all messages of a dispatch pass: connections and the TLS context are
        # reused (building a TLS context per message cost 30 ms in `amrwatch bench alerts`).
        self.client = httpx.Client(timeout=float(settings.get("timeout_seconds", 10)))

    def close(self) -> None:
        self.client.close()

    def deliver(self, delivery: Delivery) -> None:
        secret = os.environ.get(self.secret_env)
        if not secret:  # an unsigned alert could be forged: wait until the key is configured
            raise DeliveryFailed(f"no signing key: set the environment variable {self.secret_env}")
        body = body_of({**delivery.payload, "idempotency_key": delivery.idempotency_key})
        timestamp = str(int(time.time()))
        headers = {"Content-Type": "application/json; charset=utf-8",
                   IDEMPOTENCY_HEADER: delivery.idempotency_key, TIMESTAMP_HEADER: timestamp,
                   SIGNATURE_HEADER: sign(secret.encode(), timestamp, body)}
        try:
            response = self.client.post(delivery.address, content=body, headers=headers)
        except httpx.HTTPError as error:
            raise DeliveryFailed(f"{type(error).__name__}: {error}") from error
        if not response.is_success:
            raise DeliveryFailed(f"HTTP {response.status_code} from {delivery.address}")


@channel_type("email")
class Email:
    """Send a plain-text e-mail over SMTP; the server accepting it (250) confirms it.

    The idempotency key is the Message-ID (RFC 5322 §3.6.4: a retry is the same message), so
    mail systems and readers that deduplicate by Message-ID show it once.
    """

    def __init__(self, settings: dict[str, Any]) -> None:
        self.host = settings.get("smtp_host", "localhost")
        self.port = int(settings.get("smtp_port", 25))
        self.sender = settings["sender"]
        self.starttls = bool(settings.get("starttls", False))
        self.username = settings.get("username")
        self.password_env = settings.get("password_env")
        self.timeout = float(settings.get("timeout_seconds", 10))

    def message(self, delivery: Delivery) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = delivery.address
        message["Subject"] = delivery.payload["subject"]
        message["Message-ID"] = f"<{delivery.idempotency_key}@amrwatch>"
        message[IDEMPOTENCY_HEADER] = delivery.idempotency_key
        message.set_content(delivery.payload["text"])
        return message

    def deliver(self, delivery: Delivery) -> None:
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, os.environ.get(self.password_env or "", ""))
                smtp.send_message(self.message(delivery))
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryFailed(f"{type(error).__name__}: {error}") from error
