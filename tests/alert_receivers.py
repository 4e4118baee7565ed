"""Real local receivers for the alert tests: an HTTP webhook endpoint and an SMTP server.

Both are what a responder's system would run: the webhook receiver checks the HMAC signature
with its own copy of the key and keeps each idempotency key once; the SMTP server (aiosmtpd)
keeps each Message-ID once. Both can be stopped and started again on the same port, and the
webhook receiver can be told to "lose" its answer (store the message, then drop the connection
without responding), as a network failure after delivery would.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class WebhookReceiver:
    """Counts requests, unique deliveries (by idempotency key) and refused signatures."""

    def __init__(self, secret: str) -> None:
        self.secret = secret.encode()
        self.port = free_port()
        self.requests = 0
        self.refused = 0
        self.messages: dict[str, dict] = {}  # idempotency key → payload
        self.lose_answers = 0  # how many next answers to drop after storing the message
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return None

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests += 1
                timestamp = self.headers.get("X-Amrwatch-Timestamp", "")
                expected = "sha256=" + hmac.new(receiver.secret, timestamp.encode() + b"." + body,
                                                hashlib.sha256).hexdigest()
                if not hmac.compare_digest(expected, self.headers.get("X-Amrwatch-Signature", "")):
                    receiver.refused += 1
                    self.send_response(401)
                    self.end_headers()
                    return
                key = self.headers["Idempotency-Key"]
                assert json.loads(body)["idempotency_key"] == key
                receiver.messages.setdefault(key, json.loads(body))
                if receiver.lose_answers:
                    receiver.lose_answers -= 1
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)  # stored, but no answer
                    return
                self.send_response(200)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


class _Inbox:
    def __init__(self) -> None:
        self.received = 0
        self.messages: dict[str, email.message.Message] = {}  # Message-ID → message

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received += 1
        self.messages.setdefault(message["Message-ID"], message)
        return "250 Message accepted for delivery"


class SmtpReceiver:
    def __init__(self) -> None:
        self.port = free_port()
        self.inbox = _Inbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


# --- routing files for the alert tests (stores: conftest.postgres_schema) -----------------

def routing_file(folder, webhook_url: str, smtp_port: int, first_delay: int = 60) -> str:
    """The packaged routing file with its channels and contacts pointed at local receivers."""
    from importlib import resources

    import yaml

    data = yaml.safe_load(resources.files("amrwatch.alert").joinpath("data", "routing.yaml")
                          .read_text(encoding="utf-8"))
    data["channels"]["email"].update(smtp_host="127.0.0.1", smtp_port=smtp_port, timeout_seconds=5)
    data["channels"]["webhook"].update(secret_env="AMRWATCH_TEST_WEBHOOK_SECRET", timeout_seconds=5)
    data["recipients"]["regional_response_centre"]["webhook"] = webhook_url
    data["retry"]["first_delay_seconds"] = first_delay
    path = folder / "routing.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return str(path)


def signal_rows(**changes):
    """Two signals as amrwatch.detect writes them: a first C. auris in Brazil (critical) and a
    CRE cluster centred on an Argentinian lab (high)."""
    import datetime as dt

    from amrwatch.detect.signals import signals_table

    rows = [
        {"signal_id": "c" * 32, "kind": "rule", "detector": "FIRST-C-AURIS", "severity": "critical",
         "country": "BRA", "lab_code": None, "mo": "F_CANDD_AURS", "phenotype": "C-AURIS",
         "window_start": dt.date(2025, 3, 3), "window_end": dt.date(2025, 3, 3),
         "evidence": {"scope": "country", "isolates": [{"country": "BRA", "lab_code": "BR-001",
                                                        "isolate_id": "BR-17"}]}},
        {"signal_id": "k" * 32, "kind": "cluster", "detector": "scan", "severity": "high",
         "country": "ARG", "lab_code": "AR-001", "mo": None, "phenotype": "CRE",
         "window_start": dt.date(2025, 3, 1), "window_end": dt.date(2025, 3, 9),
         "evidence": {"labs": ["AR-001", "UY-002"], "observed": 12, "expected": 2.5}},
    ]
    return signals_table([{**row, **changes} for row in rows])
