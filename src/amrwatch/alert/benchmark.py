"""`amrwatch bench alerts`: time raising alerts and delivering their messages.

Takes a number of synthetic signals (every-isolate rule signals spread over CELAC countries and
severities); gives the time to raise them into an empty DuckDB store (signals, alerts, events,
outbox rows, audit in one transaction), to raise them again (every one already known: the cost
of re-running detection after each upload), and to deliver webhook messages to a local HTTP
receiver through the dispatcher.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from amrwatch.alert.dispatch import dispatch_once
from amrwatch.alert.outbox import raise_alerts, rule_set
from amrwatch.alert.routing import Routing, load_routing
from amrwatch.schemas import SIGNAL

COUNTRIES = ["ARG", "BRA", "CHL", "COL", "CUB", "ECU", "GTM", "HTI", "JAM", "MEX", "PER", "URY"]
SEVERITIES = ["critical", "high", "medium", "low"]
SECRET_ENV = "AMRWATCH_BENCH_WEBHOOK_SECRET"


def synthetic_signals(n: int, seed: int = 8) -> pa.Table:
    rng = np.random.default_rng(seed)
    countries = rng.choice(COUNTRIES, n)
    days = (np.datetime64("2025-01-01") + rng.integers(0, 365, n).astype("timedelta64[D]"))
    return pa.table({
        "signal_id": [f"{i:032x}" for i in range(n)], "kind": ["rule"] * n,
        "detector": ["EXCEPTIONAL-PHENOTYPE"] * n, "severity": rng.choice(SEVERITIES, n),
        "country": countries, "lab_code": [f"{c}-{k:03d}" for c, k in zip(countries, rng.integers(0, 50, n))],
        "mo": ["B_KLBSL_PNMN"] * n, "phenotype": ["COL-R-ENT"] * n,
        "window_start": pa.array(days, pa.date32()), "window_end": pa.array(days, pa.date32()),
        "evidence": ['{"scope": "isolate"}'] * n}, schema=SIGNAL)


class _Receiver(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        return None

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


def _webhook_only(url: str) -> Routing:
    """The packaged routing with every message sent to one local webhook."""
    base = load_routing()
    data = {**base.data, "channels": {**base.channels, "webhook": {"type": "webhook", "secret_env": SECRET_ENV}},
            "recipients": {"regional_response_centre": {"language": "en", "webhook": url}},
            "rules": [{"id": "all", "send": [{"recipient": "regional_response_centre", "channels": ["webhook"]}]}],
            "escalation": {**base.data["escalation"], "notify": []}}
    return Routing("bench", data)


def run(signals: int, deliveries: int) -> dict[str, Any]:
    from amrwatch.store import open_store

    table = synthetic_signals(signals)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    os.environ.setdefault(SECRET_ENV, "bench")
    routing = _webhook_only(f"http://127.0.0.1:{server.server_address[1]}/hook")
    now, ruleset = dt.datetime.now(dt.UTC), rule_set()  # loading detection is not raising
    figures: dict[str, Any] = {"signals": signals}
    try:
        with tempfile.TemporaryDirectory() as folder, open_store(Path(folder) / "bench.duckdb") as store:
            started = time.perf_counter()
            figures["raised"] = raise_alerts(store, table, routing=routing, ruleset=ruleset, now=now)
            figures["raise_seconds"] = time.perf_counter() - started
            started = time.perf_counter()
            figures["raised_again"] = raise_alerts(store, table, routing=routing, ruleset=ruleset, now=now)
            figures["rerun_seconds"] = time.perf_counter() - started
            started = time.perf_counter()
            report = dispatch_once(store, routing, now=now, limit=deliveries)
            figures["delivered"] = report.delivered
            figures["dispatch_seconds"] = time.perf_counter() - started
    finally:
        server.shutdown()
        server.server_close()
    return figures
