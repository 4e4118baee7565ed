"""Where the store lives: a DuckDB file path or a `postgresql://` URL.

Takes the `--db` option (or the `AMRWATCH_DB` environment variable); gives the location to open
and a printable form of it with any password removed, so errors and status never leak secrets.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

#: Environment variable naming the store when `--db` is not given.
ENV_VAR = "AMRWATCH_DB"

#: The embedded default: a DuckDB file in the working directory, like `git` keeps `.git` there,
#: so each project folder (a national lab, a training course) has its own store.
DEFAULT_DB = "amrwatch.duckdb"

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def resolve(url: str | Path | None = None) -> str:
    """The store location: the argument, else $AMRWATCH_DB, else `amrwatch.duckdb`."""
    chosen = str(url) if url not in (None, "") else os.environ.get(ENV_VAR) or DEFAULT_DB
    return chosen.strip()


def is_postgres(location: str) -> bool:
    return location.lower().startswith(POSTGRES_SCHEMES)


def redact(location: str) -> str:
    """The location with any password replaced by `***` (safe to print and log)."""
    if not is_postgres(location):
        return location
    parts = urlsplit(location)
    if parts.password is None:
        return location
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    netloc = f"{parts.username or ''}:***@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
