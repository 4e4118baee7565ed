"""Shared fixtures: paths to ../shared, the PostgreSQL server, and the CI 'required' switch.

On a user's machine a missing component makes its tests skip with a message; in CI
(`AMRWATCH_CI_REQUIRE=postgres,shared,chromium,r`, set by .ci/run) it makes them fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("AMRWATCH_SHARED", ROOT.parent / "shared"))
REQUIRED = {c.strip() for c in os.environ.get("AMRWATCH_CI_REQUIRE", "").split(",") if c.strip()}
POSTGRES_URL = os.environ.get("AMRWATCH_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def missing(component: str, message: str) -> None:
    """Skip (on a user's machine) or fail (in CI, where the component is required)."""
    if component in REQUIRED:
        pytest.fail(f"{message} (required in CI: AMRWATCH_CI_REQUIRE includes {component!r})")
    pytest.skip(message)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not (SHARED / "refdata").is_dir():
        missing("shared", f"reference material not found at {SHARED}; set AMRWATCH_SHARED")
    return SHARED


@pytest.fixture(scope="session")
def amr_r_dir(shared_dir: Path) -> Path:
    return shared_dir / "refdata" / "amr-r"


@pytest.fixture(scope="session")
def whonet_dir(shared_dir: Path) -> Path:
    path = shared_dir / "refdata" / "whonet-amrie"
    if not path.is_dir():
        missing("shared", f"WHONET AMRIE tables not found at {path}")
    return path


@pytest.fixture(scope="session")
def postgres_url() -> str:
    import psycopg

    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            pass
    except psycopg.OperationalError as error:
        missing("postgres", f"PostgreSQL not reachable at {POSTGRES_URL}: {error}")
    return POSTGRES_URL


def postgres_schema(server: str, prefix: str = "test") -> Iterator[str]:
    """A fresh PostgreSQL schema for one test, as a store URL; dropped afterwards."""
    import psycopg

    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{server}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["duckdb", "postgresql"])
def store_url(request, tmp_path) -> Iterator[str]:
    """A fresh store location on each engine: a DuckDB file, and a PostgreSQL schema."""
    if request.param == "duckdb":
        yield str(tmp_path / "hub.duckdb")
        return
    yield from postgres_schema(request.getfixturevalue("postgres_url"))
