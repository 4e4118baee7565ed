"""HTML pages: login, regional overview (map), country, lab, upload and alerts.

Takes browser requests; gives pages rendered in the caller's language. Data come only from the
data-access layer (`request.app.state.access`), which applies the caller's scope.
"""

from __future__ import annotations

import json
import secrets
import unicodedata
from pathlib import Path
from typing import Annotated

import pyarrow as pa
from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from amrwatch.api.auth import SESSION_COOKIE, CurrentCaller, credential
from amrwatch.api.roles import Caller, Role
from amrwatch.api.security import check_csrf
from amrwatch.errors import AmrwatchError
from amrwatch.web import names
from amrwatch.web.i18n import LANGUAGES, Language, atlas_ids, negotiate

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
LANGUAGE_NAMES = {"es": "Español", "pt": "Português", "en": "English", "fr": "Français"}
LOGIN_CSRF_COOKIE = "amrwatch_login_csrf"


def N_(message: str) -> str:
    """Marks a string for the translators (Babel extracts it); translated when shown."""
    return message


ROLE_NAMES = {Role.LAB_SUBMITTER: N_("Lab submitter"),
              Role.NATIONAL_EPIDEMIOLOGIST: N_("National epidemiologist"),
              Role.REGIONAL_ANALYST: N_("Regional analyst"), Role.RESPONDER: N_("Responder"),
              Role.ADMINISTRATOR: N_("Administrator")}
#: Values shown through `_()` in templates: sharing policies, issue severities, login refusal.
SHOWN_VALUES = [N_("isolate"), N_("aggregate"), N_("error"), N_("warning"),
                N_("Wrong user name or password")]
#: Alert workflow states and severities (store migration 0003), and the action buttons.
ALERT_STATUSES = [N_("new"), N_("acknowledged"), N_("escalated"), N_("closed")]
SEVERITIES = [N_("critical"), N_("high"), N_("medium"), N_("low")]
ACTION_LABELS = {"acknowledge": N_("Acknowledge"), "escalate": N_("Escalate"),
                 "close": N_("Close")}


def language(request: Request) -> Language:
    return negotiate(request.query_params.get("lang"), request.cookies.get("lang"),
                     request.headers.get("accept-language"))


def render(request: Request, template: str, status: int = 200, **context) -> HTMLResponse:
    """Render `template` in the request's language, remembering an explicit language switch."""
    lang = language(request)
    found = credential(request)
    caller = found.caller if found else None

    def _(message: str, **values) -> str:
        text = lang.gettext(message)
        return text % values if values else text

    response = templates.TemplateResponse(request, template, {
        "L": lang, "_": _, "caller": caller,
        "csrf_token": found.session.csrf_token if found and found.session else "",
        "role_name": _(ROLE_NAMES[caller.role]) if caller else "",
        "languages": [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES], **context},
        status_code=status)
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie("lang", lang.code, max_age=365 * 86400, samesite="lax")
    return response


def error_page(request: Request, error: AmrwatchError) -> HTMLResponse:
    return render(request, "error.html", status=error.http_status, message=error.message,
                  hint=error.hint)


# --- login ---------------------------------------------------------------------------------------
@router.get("/login")
def login_page(request: Request, next: str = "/", message: str = "") -> HTMLResponse:
    token = secrets.token_urlsafe(24)  # double-submit cookie: no session exists yet
    response = render(request, "login.html", login_csrf=token, next=next, message=message)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict")
    return response


@router.post("/login")
def login_submit(request: Request, username: str = Form(...), password: str = Form(...),
                 csrf_token: str = Form(""), next: str = Form("/")):
    check_csrf(request.cookies.get(LOGIN_CSRF_COOKIE, ""), csrf_token)
    from amrwatch.api.routes import open_session

    target = next if next.startswith("/") and not next.startswith("//") else "/"
    response = RedirectResponse(target, status_code=303)
    try:
        open_session(request, response, username, password)
    except AmrwatchError as error:
        return login_page(request, next=target, message=language(request).gettext(error.message))
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, caller: CurrentCaller):
    request.app.state.accounts.close_session(request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/")
def home(request: Request, caller: CurrentCaller):
    target = f"/labs/{caller.lab_code}" if caller.role is Role.LAB_SUBMITTER else "/overview"
    return RedirectResponse(target, status_code=303)


# --- overview and country pages ------------------------------------------------------------------
def _choices(request: Request, caller: Caller, mo, ab, year, guideline) -> tuple[dict, dict]:
    """Options for the filter form and the chosen values (by default the most tested pair)."""
    access = request.app.state.access
    options = access.options(caller)
    choices = {"mo": [(m, names.organism(m)) for m in options["mo"]],
               "ab": [(a, names.antimicrobial(a)) for a in options["ab"]],
               "year": options["year"], "guideline": options["guideline"]}
    choices["mo"].sort(key=lambda pair: pair[1])
    choices["ab"].sort(key=lambda pair: pair[1])
    if not (mo and ab):  # open on the pair the caller has most data for
        mo, ab = mo or access.most_tested(caller)[0], ab or access.most_tested(caller, mo)[1]
    chosen = {"mo": mo, "ab": ab, "year": year,
              "guideline": guideline or (options["guideline"] or [None])[-1]}
    return choices, chosen


def _labels(lang: Language, rows: list[dict]) -> list[dict]:
    """Locale-formatted values for chart tooltips (charts show what the tables show)."""
    for row in rows:
        row["name"] = lang.country(row.get("country"))
        row["atlas_id"] = atlas_ids().get(row.get("country", ""))
        row["pct_label"] = lang.percent(row["pct_r"])
        row["ci_label"] = (f"{lang.percent(row['ci_low'])} – {lang.percent(row['ci_high'])}"
                           if row["ci_low"] is not None else "–")
        row["n_label"] = lang.number(row["n"])
    return rows


def _collation_key(name: str) -> str:
    """Alphabetical order that ignores accents (Antígua after Angola, not after Zimbabwe)."""
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()


def _settings(request: Request) -> dict:
    settings = request.app.state.access.settings
    return {"suppress_below": settings.suppress_below, "minimum_n": settings.minimum_n}


@router.get("/overview")
def overview(request: Request, caller: CurrentCaller, mo: str | None = None, ab: str | None = None,
             year: str | None = None, guideline: str | None = None):
    year_value = int(year) if year and year.isdigit() else None
    choices, chosen = _choices(request, caller, mo, ab, year_value, guideline)
    rows = request.app.state.access.resistance_by_country(
        caller, chosen["mo"], chosen["ab"], year_value, chosen["guideline"]) if chosen["mo"] else []
    lang = language(request)
    rows = sorted(_labels(lang, rows), key=lambda row: _collation_key(row["name"]))
    map_data = {"rows": rows, "atlas": "/static/vendor/world-atlas/countries-50m.json",
                "members": sorted(atlas_ids().values()), "legend": "%R",
                "labels": {"country": lang.gettext("Country"), "pct": "%R",
                           "ci": lang.gettext("95 % interval"),
                           "n": lang.gettext("Isolates tested")}}
    return render(request, "overview.html", rows=rows, choices=choices, chosen=chosen,
                  show_year=True, map_data=map_data, organism_name=names.organism(chosen["mo"]),
                  antimicrobial_name=names.antimicrobial(chosen["ab"]), **_settings(request))


def _antibiogram_grid(cells: list[dict]) -> dict:
    """Organism rows × antimicrobial columns from the flat antibiogram cells."""
    by_key = {(c["mo"], c["ab"]): c for c in cells}
    abs_ = sorted({c["ab"] for c in cells}, key=names.antimicrobial)
    mos = sorted({c["mo"] for c in cells}, key=names.organism)
    return {"columns": [(ab, names.antimicrobial(ab)) for ab in abs_],
            "rows": [(mo, names.organism(mo), [by_key.get((mo, ab)) for ab in abs_])
                     for mo in mos]}


@router.get("/countries/{country}")
def country_page(request: Request, country: str, caller: CurrentCaller, mo: str | None = None,
                 ab: str | None = None, guideline: str | None = None):
    access = request.app.state.access
    country = country.upper()
    choices, chosen = _choices(request, caller, mo, ab, None, guideline)
    trend = access.trend(caller, country, chosen["mo"], chosen["ab"], chosen["guideline"]) \
        if chosen["mo"] else []
    lang = language(request)
    trend = _labels(lang, trend)
    trend_data = {"rows": [r for r in trend if r["pct_r"] is not None],
                  "labels": {"year": lang.gettext("Year"), "ci": lang.gettext("95 % interval"),
                             "n": lang.gettext("Isolates tested")}}
    cells = access.antibiogram(caller, country, None, chosen["guideline"])
    labs = access.lab_overview(caller, country)
    return render(request, "country.html", country=country, choices=choices, chosen=chosen,
                  show_year=False, trend=trend, trend_data=trend_data,
                  antibiogram=_antibiogram_grid(cells), labs=labs,
                  policy=access.policies().get(country, "isolate"),
                  organism_names_json=json.dumps({m: names.organism(m) for m, _ in choices["mo"]}),
                  organism_name=names.organism(chosen["mo"]),
                  antimicrobial_name=names.antimicrobial(chosen["ab"]), **_settings(request))


@router.get("/labs/{lab_code}")
def lab_page(request: Request, lab_code: str, caller: CurrentCaller):
    access = request.app.state.access
    return render(request, "lab.html", lab=access.lab_in_detail(caller, lab_code),
                  uploads=access.uploads(caller, lab_code),
                  may_upload=caller.role in (Role.LAB_SUBMITTER, Role.ADMINISTRATOR))


@router.get("/uploads/{upload_id}")
def upload_report_page(request: Request, upload_id: int, caller: CurrentCaller,
                       stored: bool = False):
    from amrwatch.ingest.report import summary
    from amrwatch.schemas import VALIDATION_ISSUE

    found = request.app.state.access.upload_report(caller, upload_id)
    report = found["report"]
    issues = pa.Table.from_pylist(report.get("issues", []), schema=VALIDATION_ISSUE)
    report.setdefault("counts", {})
    message = language(request).gettext("The file was received and its accepted rows stored.")
    return render(request, "upload_report.html", upload_id=upload_id, lab_code=found["lab_code"],
                  report=report, summary=report.get("summary") or summary(issues),
                  issues=report.get("issues", []), message=message if stored else "",
                  stored=stored)


@router.get("/upload")
def upload_page(request: Request, caller: CurrentCaller):
    from amrwatch.api.uploads import UPLOADERS, WEB_FORMATS

    caller.require(UPLOADERS, "upload files")
    labs = request.app.state.access.labs(caller)
    return render(request, "upload.html", labs=labs, formats=WEB_FORMATS)


@router.post("/upload")
def upload_submit(request: Request, file: Annotated[UploadFile, File()], caller: CurrentCaller,
                  lab: str = Form(...), format: str = Form("")):
    from amrwatch.api.uploads import receive

    done = receive(request.app.state.access, caller, lab, file.filename or "upload",
                   file.file.read(), format)
    return RedirectResponse(f"/uploads/{done['outcome']['upload_id']}?stored=1", status_code=303)


@router.get("/alerts")
def alerts_page(request: Request, caller: CurrentCaller, status: str = "", severity: str = ""):
    from amrwatch.api.alerts import AlertInbox

    found = AlertInbox(request.app.state.access).alerts(caller, status, severity)
    AlertInbox.titles(found, language(request).code)
    return render(request, "alerts.html", alerts=found, statuses=ALERT_STATUSES,
                  severities=SEVERITIES, chosen={"status": status, "severity": severity})


@router.get("/alerts/{alert_id}")
def alert_page(request: Request, alert_id: int, caller: CurrentCaller):
    from amrwatch.api.alerts import AlertInbox

    found = AlertInbox(request.app.state.access).alert(caller, alert_id)
    AlertInbox.titles([found], language(request).code)
    return render(request, "alert.html", alert=found, organism_name=names.organism(found["mo"]),
                  action_labels=ACTION_LABELS)


@router.post("/alerts/{alert_id}")
def alert_action(request: Request, alert_id: int, caller: CurrentCaller,
                 action: Annotated[str, Form()], note: Annotated[str, Form()] = ""):
    from amrwatch.api.alerts import AlertInbox

    AlertInbox(request.app.state.access).act(caller, alert_id, action, note or None)
    return RedirectResponse(f"/alerts/{alert_id}", status_code=303)
