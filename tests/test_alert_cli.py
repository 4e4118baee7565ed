"""`amrwatch alerts …` as a responder uses it: raise, list, refuse a wrong role, acknowledge,
dispatch with the receivers down (messages wait), show the history. Commands run in-process
(typer's runner) except the refused one, run as a real process to see its exit code and message."""

from __future__ import annotations

import json
import subprocess
import sys

from alert_receivers import SmtpReceiver, WebhookReceiver, routing_file, signal_rows
from typer.testing import CliRunner

from amrwatch.cli.main import app
from amrwatch.tables import write_table


def alerts(*args: str):
    result = CliRunner().invoke(app, ["alerts", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def amrwatch_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "amrwatch", "alerts", *args], check=False,
                          capture_output=True, text=True, timeout=120)


def said(output: str) -> str:
    return " ".join(output.split())


def test_alerts_from_the_command_line(tmp_path) -> None:
    db, signals = str(tmp_path / "hub.duckdb"), tmp_path / "signals.parquet"
    write_table(signal_rows(), signals)
    # Receivers that are not running: their ports are free, nothing answers.
    routing = routing_file(tmp_path, WebhookReceiver("k").url, SmtpReceiver().port)
    raised = alerts("raise", str(signals), "--db", db, "--routing", routing)
    assert raised.exit_code == 0 and "2 new alert(s) from 2 signal(s)" in said(raised.stdout)

    listed = json.loads(alerts("list", "--db", db, "--json").stdout)
    assert [(a["alert_id"], a["severity"], a["status"]) for a in listed] == [
        (1, "critical", "new"), (2, "high", "new")]

    refused = amrwatch_cli("ack", "2", "--role", "regional_analyst", "--db", db)
    assert refused.returncode == 5 and "Traceback" not in refused.stderr
    assert "may not acknowledge" in said(refused.stderr)

    acked = alerts("ack", "2", "--role", "national_epidemiologist", "--country", "ARG",
                         "--user", "maria", "--note", "lab called", "--db", db)
    assert acked.exit_code == 0 and "Alert 2 is now acknowledged" in said(acked.stdout)

    dispatched = alerts("dispatch", "--once", "--db", db, "--routing", routing)
    assert dispatched.exit_code == 0
    assert "0 message(s) delivered, 6 failed, 6 waiting" in said(dispatched.stdout)

    shown = json.loads(alerts("show", "2", "--db", db, "--json").stdout)
    assert [(e["actor"], e["to_status"], e["note"]) for e in shown["events"]] == [
        ("amrwatch", "new", "scan"), ("maria", "acknowledged", "lab called")]
    assert {d["status"] for d in shown["deliveries"]} == {"pending"}
    assert all(d["attempts"] == 1 and d["last_error"] for d in shown["deliveries"])


def test_continuous_dispatch_delivers_and_stops_on_interrupt(tmp_path) -> None:
    import os
    import signal
    import time

    from alert_receivers import SmtpReceiver, WebhookReceiver

    from amrwatch.alert import load_routing, raise_alerts
    from amrwatch.store import open_store

    hook, smtp = WebhookReceiver("shared-key"), SmtpReceiver()
    hook.start()
    smtp.start()
    db = str(tmp_path / "hub.duckdb")
    routing = routing_file(tmp_path, hook.url, smtp.port)
    with open_store(db) as store:  # closed before the dispatcher starts: one writer per file
        raise_alerts(store, signal_rows(), routing=load_routing(routing))
    env = {**os.environ, "AMRWATCH_TEST_WEBHOOK_SECRET": "shared-key"}
    process = subprocess.Popen([sys.executable, "-m", "amrwatch", "alerts", "dispatch", "--every",
                                "0.2", "--db", db, "--routing", routing], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while len(hook.messages) + len(smtp.inbox.messages) < 6 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
        hook.stop()
        smtp.stop()
    assert len(hook.messages) == 2 and len(smtp.inbox.messages) == 4, out + err
    assert hook.requests == 2 and smtp.inbox.received == 4
    assert "Stopped; waiting messages stay in the outbox." in said(out)
    with open_store(db) as store:  # the dispatcher let go of the file
        assert store.query("SELECT count(*) AS n FROM outbox WHERE status = 'delivered'")["n"][0].as_py() == 6
