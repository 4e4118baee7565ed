"""Who is calling: an API token (lab systems) or a login session cookie (browsers).

Takes a request; gives its `Caller`, refusing with 401 when there is no valid credential and,
for state-changing browser requests, checking the session's CSRF token (header `X-CSRF-Token` or
form field `csrf_token`). Token callers send no cookies, so CSRF does not apply to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from amrwatch.api.accounts import Session
from amrwatch.api.roles import Caller
from amrwatch.api.security import check_csrf
from amrwatch.errors import PermissionDenied

SESSION_COOKIE = "amrwatch_session"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class NotAuthenticated(PermissionDenied):
    code = "not_authenticated"
    http_status = 401


@dataclass(frozen=True)
class Credential:
    caller: Caller
    session: Session | None  # None for API-token callers


def credential(request: Request) -> Credential | None:
    """The caller behind the request's bearer token or session cookie, or None."""
    accounts = request.app.state.accounts
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        caller = accounts.caller_for_token(header[7:].strip())
        return Credential(caller, None) if caller else None
    session_id = request.cookies.get(SESSION_COOKIE)
    session = accounts.session(session_id) if session_id else None
    return Credential(session.caller, session) if session else None


async def require_caller(request: Request) -> Caller:
    """FastAPI dependency: the authenticated caller, CSRF-checked for browser writes."""
    found = credential(request)
    if found is None:
        raise NotAuthenticated("Please log in", {"path": request.url.path},
                               hint="Log in at /login, or send 'Authorization: Bearer <token>'.")
    if found.session and request.method not in SAFE_METHODS:
        given = request.headers.get("x-csrf-token")
        if given is None and "form" in request.headers.get("content-type", ""):
            field = (await request.form()).get("csrf_token")
            given = field if isinstance(field, str) else None
        check_csrf(found.session.csrf_token, given)
    request.state.caller = found.caller
    return found.caller


#: A route parameter that receives the authenticated caller.
CurrentCaller = Annotated[Caller, Depends(require_caller)]
