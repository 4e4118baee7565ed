"""Protections every response gets: security headers, request-size and rate limits, CSRF.

Takes the ASGI app; gives it headers that forbid framing and sniffing and restrict scripts to
the server's own (vendored) files, a cap on request bodies (uploads included, counted while they
stream, so a lying Content-Length does not help), and a per-caller request budget per minute.
"""

from __future__ import annotations

import hmac
import json
import threading
import time
from collections import deque

from amrwatch.errors import AmrwatchError, InputError

# Vega compiles its expressions with Function() and vega-embed injects its own <style>; both are
# loaded from our own origin, nothing from elsewhere is allowed.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'; object-src 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"permissions-policy", b"geolocation=(), camera=(), microphone=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class TooManyRequests(AmrwatchError):
    code = "rate_limited"
    http_status = 429


class RequestTooLarge(AmrwatchError):
    code = "too_large"
    http_status = 413


async def send_error(send, error: AmrwatchError) -> None:
    """Answer at the ASGI level with the shared JSON error shape."""
    body = json.dumps(error.to_json()).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": error.http_status,
                "headers": headers + SECURITY_HEADERS})
    await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_headers(message):
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in SECURITY_HEADERS if k not in present]
                message = {**message, "headers": list(message.get("headers", [])) + extra}
            await send(message)

        await self.app(scope, receive, with_headers)


class BodySizeLimit:
    """Refuse bodies over `max_bytes`, by header up front and by counting while streaming."""

    def __init__(self, app, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    def _error(self, size) -> RequestTooLarge:
        return RequestTooLarge(
            "The request is larger than this server accepts",
            {"bytes": size, "limit_bytes": self.max_bytes},
            hint="Split the file into smaller uploads, or ask the administrator to raise "
                 "--max-upload-mb.")

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            return await send_error(send, self._error(int(declared)))
        seen = 0

        async def counted():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise self._error(seen)
            return message

        await self.app(scope, counted, send)


class RateLimit:
    """A sliding one-minute window per caller (session cookie, token, or client address)."""

    def __init__(self, app, per_minute: int) -> None:
        self.app, self.per_minute = app, per_minute
        self._hits: dict[str, deque] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(scope) -> str:
        headers = dict(scope["headers"])
        credential = headers.get(b"authorization") or headers.get(b"cookie")
        if credential:
            return "c:" + credential.decode(errors="replace")[-64:]
        return "a:" + (scope.get("client") or ("?",))[0]

    def allow(self, key: str) -> bool:
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] < now - 60:
                hits.popleft()
            if len(hits) >= self.per_minute:
                return False
            hits.append(now)
            return True

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and not scope["path"].startswith("/static/") \
                and not self.allow(self._key(scope)):
            return await send_error(send, TooManyRequests(
                "Too many requests", {"limit_per_minute": self.per_minute},
                hint="Wait a minute and try again."))
        await self.app(scope, receive, send)


def check_csrf(expected: str, given: str | None) -> None:
    """Refuse a state-changing browser request whose CSRF token does not match the session's."""
    if not given or not hmac.compare_digest(expected, given):
        raise InputError("The form has expired or did not come from this site",
                         {"check": "csrf"}, hint="Reload the page and submit it again.")
