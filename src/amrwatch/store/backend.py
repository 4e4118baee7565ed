"""What the store needs from a database engine, written once for DuckDB and PostgreSQL.

SQL in amrwatch uses `?` placeholders (DuckDB's style); the PostgreSQL backend rewrites them. Every
engine error leaves through `StoreError`, naming the store (without password) and what to do.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pyarrow as pa

Params = Sequence[Any]


class Backend(ABC):
    """A connection to one store: run SQL, read Arrow, bulk-append Arrow, run a transaction."""

    dialect: str
    location: str  # printable, password removed

    @abstractmethod
    def execute(self, sql: str, params: Params = ()) -> None:
        """Run a statement (or a script of statements when `params` is empty)."""

    @abstractmethod
    def insert(self, sql: str, params: Params = ()) -> int:
        """Run an INSERT … SELECT and return how many rows it wrote."""

    @abstractmethod
    def scalar(self, sql: str, params: Params = ()) -> Any:
        """Run a statement (evaluated once) and return the first column of its first row."""

    @abstractmethod
    def query(self, sql: str, params: Params = ()) -> pa.Table:
        """Run a query and return its rows as an Arrow table."""

    @abstractmethod
    def append(self, table: str, data: pa.Table) -> None:
        """Bulk-write `data` into `table` by column name (no per-row statements)."""

    @abstractmethod
    def stage(self, name: str, data: pa.Table) -> None:
        """Make `data` queryable as `name` until the current transaction ends."""

    @abstractmethod
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing: commit when the block ends, roll back on any exception."""

    @contextmanager
    def unordered_writes(self) -> Iterator[None]:
        """Bulk writes in the block may store rows in any order (readers order by key); an
        engine that can write faster that way does. Default: nothing changes."""
        yield

    @abstractmethod
    def lock_uploads(self) -> None:
        """Serialise writers of uploads for the rest of the current transaction."""

    @abstractmethod
    def close(self) -> None: ...
