"""`amrwatch alerts`: the alert inbox, its workflow, and delivery of messages to responders.

    amrwatch alerts list [--status new] [--country ARG] [--json]
    amrwatch alerts show 12
    amrwatch alerts ack 12 --role national_epidemiologist --country ARG --note "lab called"
    amrwatch alerts escalate 12 --role responder
    amrwatch alerts close 12 --role responder --note "contained"
    amrwatch alerts dispatch [--once]          deliver waiting messages, escalate overdue alerts
    amrwatch alerts escalate-overdue
    amrwatch alerts raise signals.parquet      alerts from `amrwatch detect run` output
    amrwatch alerts detect [--labs labs.tsv]   detection over the store, then alerts

Also `amrwatch bench alerts`.
"""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from amrwatch.cli.bench import bench_app, peak_rss_mib

alerts_app = typer.Typer(help="Alerts: list, acknowledge, escalate, close, and deliver them.")
console = Console()

DbOption = typer.Option(None, "--db", show_default=False,
                        help="Store: a DuckDB file or postgresql:// URL (default: $AMRWATCH_DB).")
RoutingOption = typer.Option(None, "--routing", show_default=False,
                             help="Routing file (default: $AMRWATCH_ROUTING, else the packaged example).")
JsonOption = typer.Option(False, "--json", help="Print JSON instead of a table.")
AlertArg = typer.Argument(..., help="Alert number (see `amrwatch alerts list`).")
UserOption = typer.Option(None, "--user", show_default=False, help="Who acts (default: your login name).")
RoleOption = typer.Option(..., "--role", help="Your role: national_epidemiologist, responder, administrator, ….")
CountryOption = typer.Option(None, "--country", help="Your country (ISO3), for national epidemiologists.")
NoteOption = typer.Option(None, "--note", help="A note kept with this step in the alert's history.")
StatusOption = typer.Option(None, "--status", help="new, acknowledged, escalated, closed (repeatable).")
SignalsArg = typer.Argument(..., help="Signals (.parquet/.csv) from `amrwatch detect`.")
LabsOption = typer.Option(None, "--labs", help="Lab registry with coordinates, for the space-time scan.")
SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "white"}


def _routing(path: Path | None):
    from amrwatch.alert import load_routing

    return load_routing(path)


def _json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


@alerts_app.command("list")
def list_command(
    status: list[str] = StatusOption,
    severity: str = typer.Option(None, help="critical, high, medium or low."),
    country: str = typer.Option(None, help="Only alerts of this country (ISO3)."),
    limit: int = typer.Option(50, help="At most this many alerts (0: all)."),
    db: str = DbOption, as_json: bool = JsonOption,
) -> None:
    """Alerts, most urgent and newest first."""
    from amrwatch.alert import list_alerts
    from amrwatch.store import open_store

    with open_store(db, create=False) as store:
        rows = list_alerts(store, status=status or None, severity=severity, country=country,
                           limit=limit or None).to_pylist()
    if as_json:
        _json(rows)
        return
    view = Table("#", "status", "severity", "alert", "where", "raised", "messages",
                 title=f"{len(rows)} alert(s)")
    for row in rows:
        where = ", ".join(filter(None, [row["lab_code"], row["country"]])) or "region"
        view.add_row(str(row["alert_id"]), row["status"],
                     f"[{SEVERITY_STYLE.get(row['severity'], '')}]{row['severity']}[/]",
                     row["title"], where, f"{row['raised_at']:%Y-%m-%d %H:%M}",
                     f"{row['deliveries_done']} sent, {row['deliveries_pending']} waiting")
    console.print(view)


@alerts_app.command("show")
def show_command(alert_id: int = AlertArg, db: str = DbOption, as_json: bool = JsonOption) -> None:
    """One alert: what was found, its evidence, its history and its messages."""
    from amrwatch.alert import alert_detail
    from amrwatch.store import open_store

    with open_store(db, create=False) as store:
        alert = alert_detail(store, alert_id)
    if as_json:
        _json(alert)
        return
    console.print(f"[bold]Alert {alert['alert_id']}[/] ({alert['status']}, "
                  f"[{SEVERITY_STYLE.get(alert['severity'], '')}]{alert['severity']}[/]): {alert['title']}")
    console.print(f"Detected by {alert['detector']} ({alert['kind']}); organism {alert['mo'] or '-'}, "
                  f"phenotype {alert['phenotype'] or '-'}; {alert['window_start']} to {alert['window_end']}")
    console.print("Evidence: " + json.dumps(alert["evidence"], ensure_ascii=False, default=str)[:1000])
    history = Table("when", "who", "role", "step", "note", title="History")
    for event in alert["events"]:
        history.add_row(f"{event['logged_at']:%Y-%m-%d %H:%M}", event["actor"], event["role"] or "",
                        f"{event['from_status'] or '-'} → {event['to_status']}", event["note"] or "")
    console.print(history)
    messages = Table("to", "channel", "event", "status", "tries", "last error", title="Messages")
    for d in alert["deliveries"]:
        messages.add_row(d["address"], d["channel"], d["event"], d["status"], str(d["attempts"]),
                         d["last_error"] or "")
    console.print(messages)


def _step(action: str, alert_id: int, user: str | None, role: str, country: str | None,
          note: str | None, db: str | None, routing: Path | None) -> None:
    from amrwatch.alert import transition
    from amrwatch.store import open_store

    with open_store(db, create=False) as store:
        alert = transition(store, alert_id, action, user or getpass.getuser(), role, note,
                           country=country, routing=_routing(routing))
    console.print(f"Alert {alert_id} is now {alert['status']}.")


@alerts_app.command("ack")
def ack_command(alert_id: int = AlertArg, role: str = RoleOption, user: str = UserOption,
                country: str = CountryOption, note: str = NoteOption, db: str = DbOption,
                routing: Path = RoutingOption) -> None:
    """Acknowledge an alert: someone is looking at it (stops automatic escalation)."""
    _step("acknowledge", alert_id, user, role, country, note, db, routing)


@alerts_app.command("escalate")
def escalate_command(alert_id: int = AlertArg, role: str = RoleOption, user: str = UserOption,
                     country: str = CountryOption, note: str = NoteOption, db: str = DbOption,
                     routing: Path = RoutingOption) -> None:
    """Escalate an alert to the regional response centre."""
    _step("escalate", alert_id, user, role, country, note, db, routing)


@alerts_app.command("close")
def close_command(alert_id: int = AlertArg, role: str = RoleOption, user: str = UserOption,
                  country: str = CountryOption, note: str = NoteOption, db: str = DbOption,
                  routing: Path = RoutingOption) -> None:
    """Close an alert (the event is dealt with, or was not real: say which in --note)."""
    _step("close", alert_id, user, role, country, note, db, routing)


def _print_dispatch(report) -> None:
    from amrwatch.errors import StoreError

    if isinstance(report, StoreError):
        console.print(f"[yellow]Store not available for this pass: {report.message}; trying again later.[/]")
        return
    if not (report.escalated or report.delivered or report.failed):
        return  # a quiet pass: nothing to say
    if report.escalated:
        console.print(f"Escalated (not acknowledged in time): {', '.join(map(str, report.escalated))}")
    console.print(f"{report.delivered} message(s) delivered, {len(report.failed)} failed, "
                  f"{report.waiting} waiting.")
    for failure in report.failed[:20]:
        console.print(f"[yellow]  not delivered to {failure['address']} ({failure['channel']}, "
                      f"try {failure['attempts']}): {failure['error']}; will try again[/]")


@alerts_app.command("dispatch")
def dispatch_command(
    once: bool = typer.Option(False, "--once", help="One pass, then stop (for cron or systemd timers)."),
    every: float = typer.Option(30.0, help="Seconds between passes when running continuously."),
    db: str = DbOption, routing: Path = RoutingOption,
) -> None:
    """Deliver the messages waiting in the outbox and escalate overdue alerts; a receiver that
    is down is tried again later with growing waits, never skipped."""
    from amrwatch.alert.dispatch import dispatch_forever, dispatch_once
    from amrwatch.store import open_store

    if once:
        with open_store(db, create=False) as store:
            _print_dispatch(dispatch_once(store, _routing(routing)))
        return
    console.print(f"Dispatching every {every:g} s; Ctrl+C to stop.")
    try:
        dispatch_forever(db, _routing(routing), every, _print_dispatch)
    except KeyboardInterrupt:
        console.print("Stopped; waiting messages stay in the outbox.")


@alerts_app.command("escalate-overdue")
def escalate_overdue_command(db: str = DbOption, routing: Path = RoutingOption) -> None:
    """Escalate every alert not acknowledged within its time (escalation in the routing file)."""
    from amrwatch.alert import escalate_overdue
    from amrwatch.store import open_store

    with open_store(db, create=False) as store:
        done = escalate_overdue(store, _routing(routing))
    console.print(f"{len(done)} alert(s) escalated" + (f": {', '.join(map(str, done))}" if done else "."))


@alerts_app.command("raise")
def raise_command(signals: Path = SignalsArg,
                  db: str = DbOption, routing: Path = RoutingOption) -> None:
    """Turn detection signals into alerts; events already alerted are skipped."""
    from amrwatch.alert import raise_alerts
    from amrwatch.store import open_store
    from amrwatch.tables import read_table

    table = read_table(signals)
    with open_store(db) as store:
        raised = raise_alerts(store, table, routing=_routing(routing))
    console.print(f"{raised} new alert(s) from {table.num_rows} signal(s); "
                  "run `amrwatch alerts dispatch` to deliver them.")


@alerts_app.command("detect")
def detect_command(
    labs: Path = LabsOption,
    guideline: str = typer.Option(None, help="Interpretations to use (default: the latest computed)."),
    db: str = DbOption, routing: Path = RoutingOption,
) -> None:
    """Run detection over the stored data (as after each upload) and raise alerts for new events."""
    from amrwatch.alert import detect_and_alert
    from amrwatch.store import open_store
    from amrwatch.tables import read_table

    registry = read_table(labs) if labs else None
    with open_store(db, create=False) as store, console.status("Detecting…"):
        outcome = detect_and_alert(store, registry, guideline, routing=_routing(routing))
    console.print(f"{outcome.signals} signal(s), {outcome.alerts} new alert(s)."
                  + ("" if outcome.scanned else " Space-time scan skipped: give --labs with coordinates."))


def register(app: typer.Typer) -> None:
    app.add_typer(alerts_app, name="alerts")


@bench_app.command("alerts")
def bench_alerts(
    signals: int = typer.Option(10_000, help="Number of synthetic signals to raise."),
    deliveries: int = typer.Option(1_000, help="Webhook messages to deliver to a local receiver."),
) -> None:
    """Raise alerts from signals (then again, all known) and deliver webhooks; prints the times."""
    from amrwatch.alert.benchmark import run

    f = run(signals, deliveries)
    console.print(f"raise: {f['raised']:,} alerts from {f['signals']:,} signals in "
                  f"{f['raise_seconds']:.2f} s ({f['raised'] / f['raise_seconds']:,.0f} alerts/s)")
    console.print(f"re-run: {f['raised_again']} new from the same signals in {f['rerun_seconds']:.2f} s")
    console.print(f"dispatch: {f['delivered']:,} signed webhooks delivered in {f['dispatch_seconds']:.2f} s "
                  f"({f['delivered'] / max(f['dispatch_seconds'], 1e-9):,.0f} messages/s); "
                  f"peak memory {peak_rss_mib():.0f} MiB")
