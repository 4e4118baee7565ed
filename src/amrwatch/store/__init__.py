"""The hub store: labs, uploads, pseudonymous patients, isolates, AST results, interpretations.

Takes validated ISOLATE + AST_RESULT tables (amrwatch.schemas) from ingest; gives atomic,
idempotent uploads, interpretations per guideline version side by side, counts, Arrow query
results for analysis/export/web, and an audit log. One schema on two engines: an embedded DuckDB
file (default `amrwatch.duckdb`) or a PostgreSQL hub (`postgresql://…`), chosen by `--db` or
AMRWATCH_DB. See docs/store.md.

    with open_store() as store:
        outcome = store.add_upload("AR-001", "ARG", "jan.txt", sha256, "whonet",
                                   isolates, ast, report)
        store.reinterpret("EUCAST 2025")
        table = store.isolate_results(guideline="EUCAST 2025", country="ARG")
"""

from __future__ import annotations

from pathlib import Path

from amrwatch.errors import StoreError
from amrwatch.store.backend import Backend
from amrwatch.store.hub import Store
from amrwatch.store.location import DEFAULT_DB, ENV_VAR, is_postgres, redact, resolve
from amrwatch.store.upload import UploadOutcome

__all__ = ["DEFAULT_DB", "ENV_VAR", "Store", "UploadOutcome", "open_store", "redact"]


def open_store(url: str | Path | None = None, migrate: bool = True, create: bool = True) -> Store:
    """Open (and by default create or upgrade) the store at `url`, $AMRWATCH_DB or the default.

    `create=False` refuses to make a new DuckDB file: commands that only read (status) say
    where they looked instead of leaving an empty store behind.
    """
    location = resolve(url)
    if not create and not is_postgres(location) and not Path(location).exists():
        raise StoreError("No store found", {"store": location},
                         hint=f"ingest a file first, or point --db / {ENV_VAR} at your store")
    store = Store(_backend(location))
    if migrate:
        try:
            store.migrate()
        except BaseException:
            store.close()
            raise
    return store


def _backend(location: str) -> Backend:
    if is_postgres(location):
        from amrwatch.store.postgres_backend import PostgresBackend

        return PostgresBackend(location)
    from amrwatch.store.duckdb_backend import DuckDBBackend

    return DuckDBBackend(location)
