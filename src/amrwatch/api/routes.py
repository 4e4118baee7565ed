"""The JSON API under /api. Each endpoint asks the data-access layer, never the store directly.

Takes HTTP requests from browsers (session cookie) and lab systems (bearer token); gives JSON.
Errors use the one shape of `AmrwatchError.to_json()`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from pydantic import BaseModel

from amrwatch.api.auth import SESSION_COOKIE, CurrentCaller
from amrwatch.api.roles import Role

router = APIRouter(prefix="/api")

def _access(request: Request):
    return request.app.state.access


class Login(BaseModel):
    username: str
    password: str


def open_session(request: Request, response: Response, username: str, password: str) -> dict:
    """Check the password, open a session and set its cookie (HttpOnly, SameSite=Lax)."""
    accounts = request.app.state.accounts
    session = accounts.open_session(accounts.check_password(username, password))
    response.set_cookie(SESSION_COOKIE, session.session_id, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", max_age=8 * 3600)
    return {"user": username, "role": session.caller.role.value, "country": session.caller.country,
            "lab": session.caller.lab_code, "csrf_token": session.csrf_token}


@router.post("/session", summary="Log in (browsers); returns the CSRF token for later writes")
def login(body: Login, request: Request, response: Response) -> dict:
    return open_session(request, response, body.username, body.password)


@router.delete("/session", summary="Log out")
def logout(request: Request, response: Response, caller: CurrentCaller) -> dict:
    request.app.state.accounts.close_session(request.cookies.get(SESSION_COOKIE, ""))
    response.delete_cookie(SESSION_COOKIE)
    return {"logged_out": caller.username}


@router.get("/health", summary="Liveness check (no login needed)")
def health() -> dict:
    return {"status": "ok"}


@router.get("/me", summary="The caller's user, role and scope")
def me(caller: CurrentCaller) -> dict:
    return {"user": caller.username, "role": caller.role.value, "country": caller.country,
            "lab": caller.lab_code}


@router.get("/options", summary="Organisms, antimicrobials, years, guidelines in your scope")
def options(request: Request, caller: CurrentCaller) -> dict:
    return _access(request).options(caller)


@router.get("/overview", summary="%R per country for one organism and antimicrobial (the map)")
def overview(request: Request, mo: str, ab: str, caller: CurrentCaller, year: int | None = None,
             guideline: str | None = None) -> dict:
    rows = _access(request).resistance_by_country(caller, mo, ab, year, guideline)
    return {"mo": mo, "ab": ab, "year": year, "guideline": guideline, "countries": rows}


@router.get("/countries/{country}/trend", summary="%R per year with 95 % intervals")
def trend(request: Request, country: str, mo: str, ab: str, caller: CurrentCaller,
          guideline: str | None = None) -> dict:
    return {"country": country,
            "years": _access(request).trend(caller, country.upper(), mo, ab, guideline)}


@router.get("/countries/{country}/antibiogram", summary="%R per organism × antimicrobial")
def antibiogram(request: Request, country: str, caller: CurrentCaller, year: int | None = None,
                guideline: str | None = None) -> dict:
    rows = _access(request).antibiogram(caller, country.upper(), year, guideline)
    return {"country": country, "year": year, "guideline": guideline, "cells": rows}


@router.get("/countries/{country}/mdro", summary="MDR/XDR/PDR isolates per organism")
def mdro(request: Request, country: str, caller: CurrentCaller,
         guideline: str | None = None) -> dict:
    rows = _access(request).mdro_shares(caller, country.upper(), guideline)
    return {"country": country, "guideline": guideline, "organisms": rows}


@router.get("/countries/{country}/labs", summary="Labs of a country with their sharing policy")
def country_labs(request: Request, country: str, caller: CurrentCaller) -> dict:
    _access(request)._require_country(caller, country.upper())
    return {"country": country, "labs": _access(request).labs(caller, country.upper())}


@router.get("/countries/{country}/isolates", summary="Isolate-level rows (isolate-sharing only)")
def isolates(request: Request, country: str, caller: CurrentCaller, limit: int = 100) -> dict:
    return {"country": country,
            "isolates": _access(request).isolates(caller, country.upper(), limit)}


@router.get("/labs/{lab_code}", summary="One lab and its resistance counts")
def lab(request: Request, lab_code: str, caller: CurrentCaller,
        guideline: str | None = None) -> dict:
    access = _access(request)
    return {"lab": access.lab(caller, lab_code),
            "cells": access.lab_resistance(caller, lab_code, guideline)}


@router.get("/labs/{lab_code}/uploads", summary="The lab's uploads with counts and quality")
def lab_uploads(request: Request, lab_code: str, caller: CurrentCaller) -> dict:
    return {"lab": lab_code, "uploads": _access(request).uploads(caller, lab_code)}


@router.get("/uploads/{upload_id}", summary="One upload's validation report")
def upload_report(request: Request, upload_id: int, caller: CurrentCaller) -> dict:
    return _access(request).upload_report(caller, upload_id)


@router.post("/uploads", summary="Upload a lab file (WHONET, LIS CSV/Excel, FHIR, HL7)",
             status_code=201)
def upload(request: Request, file: Annotated[UploadFile, File()], caller: CurrentCaller,
           lab: str | None = Form(None), format: str | None = Form(None)) -> dict:
    from amrwatch.api.uploads import receive

    return receive(_access(request), caller, lab, file.filename or "upload", file.file.read(),
                   format)


def _inbox(request: Request):
    from amrwatch.api.alerts import AlertInbox

    return AlertInbox(_access(request))


@router.get("/alerts", summary="Alerts in your scope, newest first")
def alerts(request: Request, caller: CurrentCaller, status: str | None = None,
           severity: str | None = None, country: str | None = None, limit: int = 200) -> dict:
    return {"alerts": _inbox(request).alerts(caller, status, severity, country, limit)}


@router.get("/alerts/{alert_id}", summary="One alert with evidence and workflow steps")
def alert(request: Request, alert_id: int, caller: CurrentCaller) -> dict:
    return _inbox(request).alert(caller, alert_id)


class AlertAction(BaseModel):
    note: str | None = None


@router.post("/alerts/{alert_id}/{action}", summary="Acknowledge, escalate or close an alert")
def alert_action(request: Request, alert_id: int, action: str, caller: CurrentCaller,
                 body: AlertAction | None = None) -> dict:
    return _inbox(request).act(caller, alert_id, action, body.note if body else None)


class NewUser(BaseModel):
    username: str
    password: str
    role: str
    country: str | None = None
    lab: str | None = None


@router.get("/users", summary="All users (administrators)")
def users(request: Request, caller: CurrentCaller) -> dict:
    caller.require({Role.ADMINISTRATOR}, "list users")
    return {"users": request.app.state.accounts.users()}


@router.post("/users", summary="Add or replace a user (administrators)", status_code=201)
def add_user(body: NewUser, request: Request, caller: CurrentCaller) -> dict:
    caller.require({Role.ADMINISTRATOR}, "add users")
    added = request.app.state.accounts.add_user(body.username, body.password, body.role,
                                                country=body.country, lab_code=body.lab)
    return {"user": added.username, "role": added.role.value}


@router.post("/users/{username}/tokens", summary="Issue an API token (administrators)",
             status_code=201)
def issue_token(username: str, request: Request, caller: CurrentCaller, label: str = "") -> dict:
    caller.require({Role.ADMINISTRATOR}, "issue API tokens")
    return {"user": username, "token": request.app.state.accounts.issue_token(username, label)}
