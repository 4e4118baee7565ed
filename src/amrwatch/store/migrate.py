"""Versioned schema migrations: numbered SQL files shipped in `amrwatch/store/migrations/`.

`NNNN_name.sql` runs on every engine; `NNNN_name.duckdb.sql` / `NNNN_name.postgresql.sql` only on
that one. Each version is applied once and recorded in `schema_migration`; all pending versions
run in one transaction, so a failed migration leaves the store exactly as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources

from amrwatch.errors import StoreError
from amrwatch.store.backend import Backend

BOOKKEEPING = """
CREATE TABLE IF NOT EXISTS schema_migration (
    version    INTEGER PRIMARY KEY,
    name       VARCHAR NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL
)
"""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def available(dialect: str) -> list[Migration]:
    """The migrations shipped with this amrwatch for `dialect`, in version order."""
    found: dict[int, Migration] = {}
    for entry in resources.files("amrwatch.store").joinpath("migrations").iterdir():
        parts = entry.name.split(".")
        if parts[-1] != "sql" or len(parts) not in (2, 3):
            continue
        if len(parts) == 3 and parts[1] != dialect:
            continue
        number, _, name = parts[0].partition("_")
        found[int(number)] = Migration(int(number), name, entry.read_text(encoding="utf-8"))
    return [found[version] for version in sorted(found)]


def current_version(backend: Backend) -> int:
    """The highest applied version (0 for a new, empty store)."""
    backend.execute(BOOKKEEPING)
    return int(backend.scalar("SELECT coalesce(max(version), 0) FROM schema_migration") or 0)


def migrate(backend: Backend, target: int | None = None) -> list[Migration]:
    """Apply every pending migration (up to version `target`, if given); return those applied
    (empty when up to date)."""
    applied = []
    with backend.transaction():
        backend.lock_uploads()  # two processes migrating a new PostgreSQL hub at once
        version = current_version(backend)
        known = available(backend.dialect)
        if known and version > known[-1].version:
            raise StoreError(
                "The store was created by a newer amrwatch",
                {"store": backend.location, "schema_version": version,
                 "this_amrwatch_knows_up_to": known[-1].version},
                hint="upgrade amrwatch (pip install -U amrwatch) before using this store",
            )
        for migration in (m for m in known if version < m.version <= (target or m.version)):
            backend.execute(migration.sql)
            backend.execute(
                "INSERT INTO schema_migration (version, name, applied_at) VALUES (?, ?, ?)",
                [migration.version, migration.name, datetime.now(UTC)],
            )
            applied.append(migration)
    return applied
