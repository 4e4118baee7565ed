"""The FastAPI application: JSON API under /api, dashboard pages, one error shape.

Takes an open store and `Settings`; gives an ASGI app. Every error becomes the JSON shape of
`AmrwatchError.to_json()` (API) or the same message on an error page (dashboard); unexpected
failures are logged on the server and answered without a traceback.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from amrwatch.api.access import DataAccess, Settings
from amrwatch.api.accounts import Accounts
from amrwatch.api.auth import NotAuthenticated
from amrwatch.api.security import BodySizeLimit, RateLimit, SecurityHeaders
from amrwatch.api.serial import SerialStore
from amrwatch.errors import AmrwatchError, InputError

log = logging.getLogger("amrwatch.api")
STATIC_DIR = Path(__file__).resolve().parents[1] / "web" / "static"




def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api") and \
        "text/html" in request.headers.get("accept", "")


def _error_response(request: Request, error: AmrwatchError):
    if _wants_html(request):
        if isinstance(error, NotAuthenticated):
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        from amrwatch.web.pages import error_page

        return error_page(request, error)
    return JSONResponse(error.to_json(), status_code=error.http_status)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AmrwatchError)
    async def known(request: Request, error: AmrwatchError):
        return _error_response(request, error)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError):
        first = error.errors()[0] if error.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return _error_response(request, InputError(
            f"Invalid request: {first.get('msg', 'bad value')}",
            {"field": where, "value": str(first.get("input"))[:80] if first.get("input") else None},
            hint="See /docs for the expected parameters."))

    @app.exception_handler(HTTPException)
    async def http(request: Request, error: HTTPException):
        wrapped = AmrwatchError(str(error.detail), {"path": request.url.path})
        wrapped.http_status, wrapped.code = error.status_code, "http_" + str(error.status_code)
        return _error_response(request, wrapped)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception):
        log.exception("unexpected error on %s", request.url.path)
        wrapped = AmrwatchError("Internal error; the administrator can find it in the server log",
                                {"path": request.url.path})
        wrapped.http_status, wrapped.code = 500, "internal"
        return _error_response(request, wrapped)


def create_app(store, settings: Settings | None = None, *, max_upload_mb: int = 200,
               rate_per_minute: int = 600) -> FastAPI:
    """Build the service over `store` (anything with `query(sql, params) -> pa.Table`)."""
    from amrwatch.api import routes
    from amrwatch.api.web_tables import ensure_web_tables
    from amrwatch.web import pages

    store = SerialStore(store)
    ensure_web_tables(store)
    access = DataAccess(store, settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        access.counts.table()  # compute the counts before the first visitor waits for them
        yield

    app = FastAPI(title="amrwatch", version=__import__("amrwatch").__version__,
                  description="AMR surveillance for Latin America and the Caribbean: "
                              "role- and country-scoped access to resistance data.",
                  lifespan=lifespan)
    app.state.store = store
    app.state.accounts = Accounts(store)
    app.state.access = access
    _install_error_handlers(app)
    app.include_router(routes.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(RateLimit, per_minute=rate_per_minute)
    app.add_middleware(BodySizeLimit, max_bytes=max_upload_mb * 1024 * 1024)
    app.add_middleware(SecurityHeaders)
    return app
