"""Killing the process during a large ingest leaves the store consistent (DuckDB and PostgreSQL).

A child process writes uploads of 20,000, 20,000 and 60,000 isolates (12 AST results each) one
after another; the test kills it with SIGKILL part way through the third upload (timed from the
first two: a third of the way, and near the end where DuckDB may be committing), reopens the
store and checks that exactly the committed uploads are there, each complete, and that the
interrupted file can be sent again.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid

import pytest

from amrwatch.store import open_store
from amrwatch.store.workload import TESTS_PER_ISOLATE, upload_tables

ISOLATES = 20_000
CHILD = """
import sys, time
from amrwatch.store import open_store
from amrwatch.store.workload import upload_tables

url, n = sys.argv[1], int(sys.argv[2])
isolates, ast = upload_tables(5 * n, seed=5, lab_code="AR-KILL", country="ARG")
per_isolate = ast.num_rows // isolates.num_rows
with open_store(url) as store:
    for k, (start, size) in enumerate([(0, n), (n, n), (2 * n, 3 * n)]):
        part = (isolates.slice(start, size),
                ast.slice(start * per_isolate, size * per_isolate))
        print("begin", k, flush=True)
        started = time.perf_counter()
        store.add_upload("AR-KILL", "ARG", f"part{k}.txt", f"sha-{k}", "whonet", *part, {})
        print("done", k, time.perf_counter() - started, flush=True)
"""


def kill_during_third_upload(url: str, fraction: float) -> bool:
    """Kill the child `fraction` of the way through its third upload, three times the size of
    the first two; gives whether the kill landed before the child finished (near the end, a
    fast commit can beat the timer: then the store must simply hold all three uploads)."""
    child = subprocess.Popen([sys.executable, "-c", CHILD, url, str(ISOLATES)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    durations = []
    try:
        for line in child.stdout:
            word, k, *rest = line.split() or ["", ""]
            if word == "done":
                durations.append(float(rest[0]))
            elif word == "begin" and k == "2":
                time.sleep(fraction * 3 * min(durations))
                os.kill(child.pid, signal.SIGKILL)
                break
    finally:
        child.kill()
        child.wait(timeout=60)
    assert child.returncode in (-signal.SIGKILL, 0), child.stderr.read()
    assert len(durations) == 2
    return child.returncode == -signal.SIGKILL


def assert_consistent(url: str) -> list[int]:
    """Either before or after the third upload, never between; and the store still works."""
    n = ISOLATES * TESTS_PER_ISOLATE
    sizes = {1: ISOLATES, 2: ISOLATES, 3: 3 * ISOLATES}
    with open_store(url) as store:
        committed = store.query("SELECT upload_id FROM upload ORDER BY upload_id")
        committed = committed["upload_id"].to_pylist()
        per_upload = store.query(
            "SELECT u.upload_id, u.isolates_stored, u.ast_stored, "
            "(SELECT count(*) FROM isolate i WHERE i.upload_id = u.upload_id) AS isolates, "
            "(SELECT count(*) FROM ast_result a WHERE a.upload_id = u.upload_id) AS ast "
            "FROM upload u ORDER BY u.upload_id").to_pylist()
        status = store.status()
        assert committed in ([1, 2], [1, 2, 3])
        assert per_upload == [
            {"upload_id": u, "isolates_stored": sizes[u], "isolates": sizes[u],
             "ast_stored": sizes[u] * TESTS_PER_ISOLATE, "ast": sizes[u] * TESTS_PER_ISOLATE}
            for u in committed]
        assert status["isolates"] == sum(sizes[u] for u in committed)
        assert status["ast_results"] == sum(sizes[u] for u in committed) * TESTS_PER_ISOLATE
        # The interrupted file was never half-ingested: sending it again stores all of it
        # (or, had its commit completed before the kill, recognises it).
        isolates, ast = upload_tables(5 * ISOLATES, seed=5, lab_code="AR-KILL", country="ARG")
        outcome = store.add_upload("AR-KILL", "ARG", "part2.txt", "sha-2", "whonet",
                                   isolates.slice(2 * ISOLATES), ast.slice(2 * n), {})
        assert outcome.already_ingested == (committed == [1, 2, 3])
        assert store.status()["ast_results"] == 5 * n
    return committed


@pytest.mark.parametrize("fraction", [0.3, 0.95])
def test_sigkill_during_a_large_duckdb_ingest_leaves_the_store_consistent(
        tmp_path, fraction) -> None:
    url = str(tmp_path / "hub.duckdb")
    killed = kill_during_third_upload(url, fraction)
    committed = assert_consistent(url)
    if fraction == 0.3:  # a third of the way through, the upload cannot have committed
        assert killed and committed == [1, 2]
    if not killed:
        assert committed == [1, 2, 3]


def test_sigkill_during_a_large_postgresql_ingest_leaves_the_store_consistent(
        postgres_url) -> None:
    import psycopg

    schema = f"test_crash_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    url = f"{postgres_url}?options=-csearch_path%3D{schema}"
    try:
        assert kill_during_third_upload(url, 0.3)
        # The server rolled back the dead client's transaction.
        assert assert_consistent(url) == [1, 2]
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")
