"""People and lab systems who may call the API: users, API tokens and login sessions.

Takes a store; gives `Accounts`, which adds users (argon2id-hashed passwords), issues API tokens
for lab systems and login sessions for browsers, and turns a token or session id back into a
`Caller`. Tokens and session ids are random 256-bit strings; only their SHA-256 is stored, so a
copy of the database does not let anyone log in.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from amrwatch.api.roles import Caller, Role
from amrwatch.api.web_tables import write
from amrwatch.errors import InputError, PermissionDenied

SESSION_SECONDS = 8 * 3600
_hasher = PasswordHasher()


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Session:
    session_id: str  # the cookie value, shown once
    csrf_token: str
    caller: Caller


class Accounts:
    """Users, tokens and sessions kept in the store's `web_user`, `api_token`, `web_session`."""

    def __init__(self, store) -> None:
        self.store = store
        self._cache: dict[str, tuple[float, Session]] = {}

    # --- users -----------------------------------------------------------------------------
    def add_user(self, username: str, password: str, role: Role | str, *,
                 country: str | None = None, lab_code: str | None = None) -> Caller:
        """Create or replace a user; the password is stored only as an argon2id hash."""
        caller = Caller(username, Role.parse(str(role)), country and country.upper(), lab_code)
        if len(password) < 8:
            raise InputError("The password is too short", {"user": username},
                             hint="Use at least 8 characters.")
        write(self.store, "DELETE FROM web_user WHERE username = ?", [username])
        write(self.store, 
            "INSERT INTO web_user (username, password_hash, role, country, lab_code) "
            "VALUES (?, ?, ?, ?, ?)",
            [username, _hasher.hash(password), caller.role.value, caller.country, lab_code],
        )
        return caller

    def users(self) -> list[dict]:
        rows = self.store.query(
            "SELECT username, role, country, lab_code FROM web_user ORDER BY username", [])
        return rows.to_pylist()

    def _caller(self, username: str) -> Caller | None:
        rows = self.store.query(
            "SELECT username, role, country, lab_code FROM web_user WHERE username = ?",
            [username]).to_pylist()
        if not rows:
            return None
        row = rows[0]
        return Caller(row["username"], Role(row["role"]), row["country"], row["lab_code"])

    def check_password(self, username: str, password: str) -> Caller:
        """Return the user's Caller, or refuse with one message whatever was wrong."""
        rows = self.store.query(
            "SELECT password_hash FROM web_user WHERE username = ?", [username]).to_pylist()
        try:
            if not rows:
                raise VerificationError()
            _hasher.verify(rows[0]["password_hash"], password)
        except (VerificationError, InvalidHashError):
            raise PermissionDenied("Wrong user name or password", {"user": username},
                                   hint="Check both and try again.") from None
        caller = self._caller(username)
        assert caller is not None
        return caller

    # --- API tokens (lab systems) -------------------------------------------------------------
    def issue_token(self, username: str, label: str = "") -> str:
        """A new API token for `username`; shown once, stored as its SHA-256."""
        if self._caller(username) is None:
            raise InputError("No such user", {"user": username},
                             hint="Add the user first with `amrwatch users add`.")
        token = "amrw_" + secrets.token_urlsafe(32)
        write(self.store, 
            "INSERT INTO api_token (token_hash, username, label) VALUES (?, ?, ?)",
            [_digest(token), username, label])
        return token

    def revoke_tokens(self, username: str) -> None:
        write(self.store, "DELETE FROM api_token WHERE username = ?", [username])
        self._cache.clear()

    def caller_for_token(self, token: str) -> Caller | None:
        rows = self.store.query(
            "SELECT username FROM api_token WHERE token_hash = ?", [_digest(token)]).to_pylist()
        return self._caller(rows[0]["username"]) if rows else None

    # --- login sessions (browsers) ------------------------------------------------------------
    def open_session(self, caller: Caller) -> Session:
        session = Session(secrets.token_urlsafe(32), secrets.token_urlsafe(24), caller)
        write(self.store, 
            "INSERT INTO web_session (session_hash, username, csrf_token, expires_at) "
            "VALUES (?, ?, ?, ?)",
            [_digest(session.session_id), caller.username, session.csrf_token,
             time.time() + SESSION_SECONDS])
        return session

    def session(self, session_id: str) -> Session | None:
        """The live session behind a cookie value; cached briefly to keep pages fast."""
        now = time.time()
        hit = self._cache.get(session_id)
        if hit and hit[0] > now:
            return hit[1]
        rows = self.store.query(
            "SELECT username, csrf_token, expires_at FROM web_session WHERE session_hash = ?",
            [_digest(session_id)]).to_pylist()
        if not rows or rows[0]["expires_at"] < now:
            return None
        caller = self._caller(rows[0]["username"])
        if caller is None:
            return None
        found = Session(session_id, rows[0]["csrf_token"], caller)
        self._cache[session_id] = (now + 30, found)
        return found

    def close_session(self, session_id: str) -> None:
        self._cache.pop(session_id, None)
        write(self.store, "DELETE FROM web_session WHERE session_hash = ?", [_digest(session_id)])
