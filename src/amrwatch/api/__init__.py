"""The web service: a FastAPI app over the store with role- and country-scoped access.

Takes an open store; gives the ASGI app (`create_app`), a blocking `serve()` used by
`amrwatch serve` and `amrwatch demo`, and `demo_users()` which creates one login per role.
Country isolation is enforced in the data-access layer (`amrwatch.api.access`), never in pages.
"""

from __future__ import annotations

from amrwatch.api.access import DataAccess, Settings, scope_filter
from amrwatch.api.app import create_app
from amrwatch.api.roles import Caller, Role
from amrwatch.api.serving import demo_users, serve, serve_demo

__all__ = ["Caller", "DataAccess", "Role", "Settings", "create_app", "demo_users", "scope_filter",
           "serve", "serve_demo"]
