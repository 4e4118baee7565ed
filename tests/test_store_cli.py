"""`amrwatch status`, `db migrate` and `reinterpret` from a user's point of view."""

from __future__ import annotations

import json
import subprocess
import sys

from amrwatch.store import open_store
from amrwatch.store.migrate import available
from amrwatch.store.workload import TESTS_PER_ISOLATE, upload_tables


def amrwatch_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "amrwatch", *args], check=False,
                          capture_output=True, text=True, timeout=300, env=env)


def said(output: str) -> str:
    """Output with rich's line wrapping undone."""
    return " ".join(output.split())


def test_db_migrate_creates_then_reports_up_to_date(tmp_path) -> None:
    db = str(tmp_path / "hub.duckdb")
    versions = [m.version for m in available("duckdb")]
    first = amrwatch_cli("db", "migrate", "--db", db)
    again = amrwatch_cli("db", "migrate", "--db", db)
    applied = ", ".join(map(str, versions))
    assert first.returncode == 0 and f"Applied schema versions {applied}" in said(first.stdout)
    assert again.returncode == 0
    assert f"up to date (schema version {versions[-1]})" in said(again.stdout)


def test_status_json_counts_and_reinterpret(tmp_path) -> None:
    db = str(tmp_path / "hub.duckdb")
    with open_store(db) as store:
        store.add_upload("AR-001", "ARG", "f.txt", "sha", "whonet",
                         *upload_tables(7, lab_code="AR-001", country="ARG"), {})
    done = amrwatch_cli("reinterpret", "--guideline", "EUCAST 2025", "--db", db)
    status = amrwatch_cli("status", "--db", db, "--json")
    assert done.returncode == 0, done.stderr
    assert f"{7 * TESTS_PER_ISOLATE} AST results interpreted under EUCAST 2025" in said(done.stdout)
    counts = json.loads(status.stdout)
    assert (counts["labs"], counts["uploads"], counts["isolates"], counts["ast_results"]) == (
        1, 1, 7, 7 * TESTS_PER_ISOLATE)
    assert counts["interpretations"] == {"EUCAST 2025": 7 * TESTS_PER_ISOLATE}


def test_status_reads_amrwatch_db_from_the_environment(tmp_path) -> None:
    import os

    db = str(tmp_path / "env.duckdb")
    open_store(db).close()
    result = amrwatch_cli("status", env={**os.environ, "AMRWATCH_DB": db})
    assert result.returncode == 0 and db in "".join(result.stdout.split())


def test_status_without_a_store_says_what_to_do(tmp_path) -> None:
    result = amrwatch_cli("status", "--db", str(tmp_path / "none.duckdb"))
    assert result.returncode == 4
    assert "No store found" in said(result.stderr) and "AMRWATCH_DB" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "none.duckdb").exists()


def test_unreachable_postgresql_is_a_message_not_a_traceback() -> None:
    result = amrwatch_cli("status", "--db", "postgresql://hub:pw@127.0.0.1:9/amr")
    assert result.returncode == 4
    assert "Cannot connect to the PostgreSQL store" in said(result.stderr)
    assert "hub:***@" in result.stderr and ":pw@" not in result.stderr
    assert "Traceback" not in result.stderr
