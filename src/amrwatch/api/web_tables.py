"""The web service's own tables: users, API tokens and login sessions.

Takes a store; creates the three tables when they are missing (portable SQL that DuckDB and
PostgreSQL both accept). Only hashes of passwords, tokens and session ids are stored.
"""

from __future__ import annotations

WEB_TABLES = [
    """CREATE TABLE IF NOT EXISTS web_user (
        username VARCHAR PRIMARY KEY,
        password_hash VARCHAR NOT NULL,
        role VARCHAR NOT NULL,
        country VARCHAR,
        lab_code VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS api_token (
        token_hash VARCHAR PRIMARY KEY,
        username VARCHAR NOT NULL,
        label VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS web_session (
        session_hash VARCHAR PRIMARY KEY,
        username VARCHAR NOT NULL,
        csrf_token VARCHAR NOT NULL,
        expires_at DOUBLE PRECISION NOT NULL)""",
]


def write(store, sql: str, params: list | tuple = ()) -> None:
    """Run a data-changing statement on the store (`Store.query` is for reading)."""
    store.execute(sql, params)


def ensure_web_tables(store) -> None:
    for statement in WEB_TABLES:
        write(store, statement)
