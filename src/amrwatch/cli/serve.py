"""`amrwatch serve`, `amrwatch users …`, `amrwatch bench web`: run and administer the dashboard."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

console = Console()
users_app = typer.Typer(help="Dashboard and API users: add people, issue tokens for lab systems.")

DB_OPTION = typer.Option(None, "--db", help="Store: a DuckDB file or a postgresql:// URL "
                                            "(default: $AMRWATCH_DB, else amrwatch.duckdb).")


def _open(db: str | None):
    from amrwatch.store import open_store

    return open_store(db)


def serve(
    db: str = DB_OPTION,
    host: str = typer.Option("127.0.0.1", help="Address to listen on (loopback by default)."),
    port: int = typer.Option(8000, help="Port to listen on."),
    suppress_below: int = typer.Option(
        10, help="Aggregate-only countries: blank cells with fewer isolates than this."),
    max_upload_mb: int = typer.Option(200, help="Largest accepted request body, in MiB."),
    rate_per_minute: int = typer.Option(600, help="Requests per minute allowed per caller."),
) -> None:
    """Serve the dashboard and the JSON API (OpenAPI documentation at /docs)."""
    from amrwatch.api import Settings
    from amrwatch.api import serve as run

    store = _open(db)
    console.print(f"amrwatch dashboard on [bold]http://{host}:{port}/[/] — press Ctrl+C to stop")
    run(store, host, port, settings=Settings(suppress_below=suppress_below),
        max_upload_mb=max_upload_mb, rate_per_minute=rate_per_minute)


@users_app.command("add")
def add_user(
    username: str = typer.Argument(..., help="Login name."),
    role: str = typer.Option(..., help="lab_submitter | national_epidemiologist | "
                                       "regional_analyst | responder | administrator"),
    country: str = typer.Option(None, help="ISO3 country (national epidemiologists, labs)."),
    lab: str = typer.Option(None, help="Lab code (lab submitters)."),
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True,
                                 help="Password (asked for when not given)."),
    db: str = DB_OPTION,
) -> None:
    """Add a user (or replace one with the same name)."""
    from amrwatch.api.accounts import Accounts
    from amrwatch.api.web_tables import ensure_web_tables

    store = _open(db)
    ensure_web_tables(store)
    caller = Accounts(store).add_user(username, password, role, country=country, lab_code=lab)
    console.print(f"Added {caller.username} as {caller.role.value}"
                  + (f" for {caller.country}" if caller.country else "")
                  + (f", lab {caller.lab_code}" if caller.lab_code else ""))


@users_app.command("list")
def list_users(db: str = DB_OPTION) -> None:
    """List users with their role, country and lab."""
    from amrwatch.api.accounts import Accounts
    from amrwatch.api.web_tables import ensure_web_tables

    store = _open(db)
    ensure_web_tables(store)
    view = Table("user", "role", "country", "lab")
    for row in Accounts(store).users():
        view.add_row(row["username"], row["role"], row["country"] or "", row["lab_code"] or "")
    console.print(view)


@users_app.command("token")
def issue_token(username: str = typer.Argument(..., help="User the lab system acts as."),
                label: str = typer.Option("", help="What the token is for."),
                db: str = DB_OPTION) -> None:
    """Issue an API token for a lab system; it is shown once, keep it safe."""
    from amrwatch.api.accounts import Accounts
    from amrwatch.api.web_tables import ensure_web_tables

    store = _open(db)
    ensure_web_tables(store)
    token = Accounts(store).issue_token(username, label)
    console.print(f"Token for {username} (send as 'Authorization: Bearer …'):")
    typer.echo(token)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.add_typer(users_app, name="users")
    _register_bench()


def bench_web(
    db: str = typer.Option(None, "--db", help="Use this store instead of building one."),
    isolates: int = typer.Option(1_000_000, help="Isolates in the store built for the run."),
    users: int = typer.Option(50, help="Concurrent simulated users."),
    seconds: float = typer.Option(30.0, help="How long the users keep clicking."),
    think: float = typer.Option(0.0, help="Mean pause between a user's clicks, in seconds."),
    workdir: str = typer.Option("bench-web", help="Folder for the store built for the run."),
    labs_per_country: int = typer.Option(3, help="Labs per country in the store built."),
) -> None:
    """Load test: requests/s and p95 of the overview and country pages on a live server."""
    import asyncio
    from pathlib import Path

    from amrwatch.api import loadtest
    from amrwatch.api.accounts import Accounts
    from amrwatch.api.web_tables import ensure_web_tables
    from amrwatch.web.i18n import atlas_ids

    if db is None:
        Path(workdir).mkdir(parents=True, exist_ok=True)
        db = str(Path(workdir) / f"web-{isolates}-{labs_per_country}.duckdb")
        if not Path(db).exists():
            console.print(f"Building a store of {isolates:,} isolates in {db} …")
            console.print(loadtest.build_store(Path(db), isolates,
                                               labs_per_country=labs_per_country))
    with _open(db) as store:
        ensure_web_tables(store)
        Accounts(store).add_user("bench", "bench-password", "regional_analyst")
        count = store.query("SELECT count(*) AS n FROM isolate", []).to_pylist()[0]["n"]
    pages = [("overview", f"/overview?mo={mo}&ab={ab}") for mo in loadtest.ORGANISMS
             for ab in loadtest.DRUGS]
    pages += [("country", f"/countries/{c}?mo={loadtest.ORGANISMS[0]}&ab=CIP")
              for c in sorted(atlas_ids())]
    port = loadtest.free_port()
    server = loadtest.start_server(db, port)
    try:
        base = f"http://127.0.0.1:{port}"
        asyncio.run(loadtest.warm(base, pages))  # each page once: a server in steady state
        timings = asyncio.run(loadtest.drive(base, users, seconds, think, pages))
    finally:
        server.terminate()
        server.wait(timeout=30)
    view = Table("page", "requests", "requests/s", "p50 ms", "p95 ms", "max ms",
                 title=f"{count:,} isolates, {users} users, {seconds:.0f} s, think {think} s")
    for page, values in sorted(timings.seconds.items()):
        view.add_row(page, f"{len(values):,}", f"{len(values) / seconds:.1f}",
                     f"{1000 * loadtest.percentile(values, 50):.0f}",
                     f"{1000 * loadtest.percentile(values, 95):.0f}",
                     f"{1000 * max(values):.0f}")
    console.print(view)
    console.print(f"errors: {timings.errors}")


def _register_bench() -> None:
    from amrwatch.cli.bench import bench_app

    bench_app.command("web")(bench_web)
