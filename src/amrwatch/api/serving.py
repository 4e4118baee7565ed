"""Running the service: `serve()` starts uvicorn; `demo_users()` creates one login per role;
`serve_demo()` does both and prints the address and the logins (the end of `make demo`).

Takes an open store and where to listen; gives a running server on 127.0.0.1 by default (a hub
that must be reachable from other machines is put behind a TLS-terminating proxy).
"""

from __future__ import annotations

from amrwatch.api.access import Settings
from amrwatch.api.roles import Role


def serve(store, host: str = "127.0.0.1", port: int = 8000, *, settings: Settings | None = None,
          max_upload_mb: int = 200, rate_per_minute: int = 600, log_level: str = "warning") -> None:
    """Serve the API and dashboard until interrupted."""
    import uvicorn

    from amrwatch.api.app import create_app

    app = create_app(store, settings, max_upload_mb=max_upload_mb, rate_per_minute=rate_per_minute)
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False,
                server_header=False, timeout_keep_alive=30)


def demo_users(store, password: str = "amrwatch-demo") -> list[dict]:
    """One demo login per role, scoped to the first isolate-sharing country and its first lab.

    Returns rows (user, password, role, country, lab) for `amrwatch demo` to print. Uses the
    store's labs, so it works on any store with at least one lab, not only the demo data.
    """
    from amrwatch.api import queries
    from amrwatch.api.accounts import Accounts
    from amrwatch.api.web_tables import ensure_web_tables

    ensure_web_tables(store)
    labs = store.query(f"SELECT * FROM ({queries.LABS}) l ORDER BY (sharing = 'aggregate'), "
                       "country, lab_code", []).to_pylist()
    lab = labs[0] if labs else {"country": "BRA", "lab_code": None}
    accounts = Accounts(store)
    plan = [("lab", Role.LAB_SUBMITTER, lab["country"], lab["lab_code"]),
            ("epi", Role.NATIONAL_EPIDEMIOLOGIST, lab["country"], None),
            ("analyst", Role.REGIONAL_ANALYST, None, None),
            ("responder", Role.RESPONDER, None, None),
            ("admin", Role.ADMINISTRATOR, None, None)]
    made = []
    for username, role, country, lab_code in plan:
        if role is Role.LAB_SUBMITTER and lab_code is None:
            continue
        accounts.add_user(username, password, role, country=country, lab_code=lab_code)
        made.append({"user": username, "password": password, "role": role.value,
                     "country": country, "lab": lab_code})
    return made


def serve_demo(store, host: str = "127.0.0.1", port: int = 8000, console=None) -> None:
    """Create the demo logins, print the dashboard's address and them, then serve."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    logins = demo_users(store)
    view = Table("user", "password", "role", "country", "lab",
                 title=f"Dashboard: http://{host}:{port}/  (Ctrl+C stops it)")
    for row in logins:
        view.add_row(row["user"], row["password"], row["role"], row["country"] or "all",
                     row["lab"] or "")
    console.print(view)
    serve(store, host, port)
