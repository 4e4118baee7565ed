"""The web load benchmark: a store of N isolates, a live server, 50 simulated users.

Takes a store (or builds one of `isolates` synthetic isolates, vectorised with numpy and written
through `Store.add_upload`, then interpreted by `Store.reinterpret`), starts `amrwatch serve` on
127.0.0.1 in a child process, and drives it from asyncio: each user logs in once, then opens
overview and country pages at random over its own keep-alive connection for a bounded time. Gives requests/s and latency
percentiles per page. Nothing leaves the loopback interface.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from amrwatch.schemas import AST_RESULT, ISOLATE

ORGANISMS = ["B_ESCHR_COLI", "B_KLBSL_PNMN", "B_PSDMN_AERG", "B_ACNTB_BMNN", "B_STPHY_AURS"]
DRUGS = ["CIP", "MEM", "CRO", "GEN", "AMK", "TZP"]
MICS = np.array(["0.03", "0.125", "0.5", "2", "8", "32", ">64"])
AGGREGATE_ONLY = {"ARG", "CUB", "VEN"}  # a few countries sharing only aggregates, as in the region


def _lab_table(rng: np.random.Generator, lab: str, country: str, n: int, start: int):
    ids = np.char.add(f"{lab}-", np.arange(start, start + n).astype(str))
    days = rng.integers(0, 5 * 365, n)
    dates = (np.datetime64("2020-01-01") + days).astype("datetime64[D]")
    mo = np.array(ORGANISMS)[rng.integers(0, len(ORGANISMS), n)]
    isolates = pa.table({
        "lab_code": pa.array(np.full(n, lab)), "country": pa.array(np.full(n, country)),
        "isolate_id": pa.array(ids),
        "patient_key": pa.array(np.char.add("p", rng.integers(0, 10**9, n).astype(str))),
        "specimen_date": pa.array(dates), "specimen_type": pa.array(np.full(n, "BLOOD")),
        "specimen_type_raw": pa.nulls(n, pa.string()), "origin": pa.array(np.full(n, "hospital")),
        "age_years": pa.array(rng.integers(0, 90, n).astype(np.float32)),
        "sex": pa.array(np.where(rng.random(n) < 0.5, "F", "M")),
        "ward_type": pa.nulls(n, pa.string()), "organism_raw": pa.array(mo), "mo": pa.array(mo),
        "organism_score": pa.array(np.ones(n)), "source_row": pa.array(np.arange(1, n + 1)),
    }).cast(ISOLATE)
    k = len(DRUGS)
    ast = pa.table({
        "lab_code": pa.array(np.full(n * k, lab)), "isolate_id": pa.array(np.repeat(ids, k)),
        "antimicrobial_raw": pa.array(np.tile(DRUGS, n)), "ab": pa.array(np.tile(DRUGS, n)),
        "method": pa.array(np.full(n * k, "MIC")),
        "value_raw": pa.array(MICS[rng.integers(0, len(MICS), n * k)]),
        "potency": pa.nulls(n * k, pa.string()), "lab_sir": pa.nulls(n * k, pa.string()),
        "lab_guideline": pa.nulls(n * k, pa.string()),
        "source_row": pa.array(np.repeat(np.arange(1, n + 1), k)),
        "source_column": pa.array(np.tile(DRUGS, n)),
    }).cast(AST_RESULT)
    return isolates, ast


def build_store(path: Path, isolates: int, guideline: str = "EUCAST 2025", seed: int = 7,
                labs_per_country: int = 3) -> dict:
    """A store of `isolates` synthetic isolates over the 33 CELAC members, interpreted."""
    from amrwatch.store import open_store
    from amrwatch.web.i18n import atlas_ids

    rng = np.random.default_rng(seed)
    countries = sorted(atlas_ids())
    labs = [(f"{c}-{k}", c) for c in countries for k in range(1, labs_per_country + 1)]
    sizes = np.full(len(labs), isolates // len(labs))
    sizes[: isolates % len(labs)] += 1
    with open_store(path) as store:
        for (lab, country), n in zip(labs, sizes):
            store.register_lab(lab, country, name=f"Laboratory {lab}",
                               sharing="aggregate" if country in AGGREGATE_ONLY else "isolate")
            table, ast = _lab_table(rng, lab, country, int(n), 0)
            digest = hashlib.sha256(f"{seed}-{lab}-{n}".encode()).hexdigest()
            store.add_upload(lab, country, f"{lab}.txt", digest, "bench", table, ast,
                             {"quality_score": float(rng.uniform(0.6, 1.0))})
        return store.reinterpret(guideline)


@dataclass
class Timings:
    seconds: dict[str, list[float]] = field(default_factory=dict)
    errors: int = 0

    def add(self, page: str, elapsed: float) -> None:
        self.seconds.setdefault(page, []).append(elapsed)


async def _login(client, base: str) -> str:
    answer = await client.post(f"{base}/api/session",
                               json={"username": "bench", "password": "bench-password"})
    answer.raise_for_status()
    return "; ".join(f"{name}={value}" for name, value in answer.cookies.items())


class Connection:
    """One keep-alive HTTP/1.1 connection with a minimal client, so that the load generator
    (on the same two cores as the server) spends as little CPU as possible per request."""

    def __init__(self, host: str, port: int, cookie: str) -> None:
        self.host, self.port, self.cookie = host, port, cookie
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> int:
        if self.writer is None or self.reader is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\n"
                          f"Cookie: {self.cookie}\r\n\r\n".encode())
        head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        status = int(head.split(" ", 2)[1])
        length = next(int(line.split(":", 1)[1]) for line in head.split("\r\n")
                      if line.lower().startswith("content-length:"))
        await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def _user(connection: Connection, number: int, deadline: float, think: float,
                pages: list[tuple[str, str]], timings: Timings) -> None:
    rng = random.Random(number)
    while time.monotonic() < deadline:
        name, path = pages[rng.randrange(len(pages))]
        started = time.perf_counter()
        try:
            status = await connection.get(path)
        except (OSError, asyncio.IncompleteReadError, ValueError, StopIteration):
            timings.errors += 1
            connection.close()
            connection.writer = None
            continue
        timings.add(name, time.perf_counter() - started)
        timings.errors += status != 200
        if think:
            await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))


async def drive(base: str, users: int, seconds: float, think: float,
                pages: list[tuple[str, str]]) -> Timings:
    """Log `users` sessions in, then let them click for `seconds`; collect latencies."""
    import httpx

    timings = Timings()
    async with httpx.AsyncClient(timeout=60) as client:
        cookies = await asyncio.gather(*(_login(client, base) for _ in range(users)))
    host, port = base.removeprefix("http://").split(":")
    connections = [Connection(host, int(port), cookie) for cookie in cookies]
    deadline = time.monotonic() + seconds
    try:
        await asyncio.gather(*(_user(c, k, deadline, think, pages, timings)
                               for k, c in enumerate(connections)))
    finally:
        for connection in connections:
            connection.close()
    return timings


async def warm(base: str, pages: list[tuple[str, str]]) -> None:
    """Open every page once, one after the other (the server's remembered answers fill)."""
    import httpx

    async with httpx.AsyncClient(timeout=600) as client:
        cookie = await _login(client, base)
        for _, path in pages:
            (await client.get(base + path, headers={"Cookie": cookie})).raise_for_status()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(db: str, port: int) -> subprocess.Popen:
    """`amrwatch serve` on 127.0.0.1 in a child process; returns once it answers."""
    import httpx

    process = subprocess.Popen(
        [sys.executable, "-m", "amrwatch", "serve", "--db", db, "--port", str(port),
         "--rate-per-minute", "1000000"], stdout=subprocess.DEVNULL)
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the server did not start within 60 s")


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")
