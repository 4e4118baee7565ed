"""The embedded store: one DuckDB file, Arrow tables written and read without copies."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from amrwatch.errors import StoreError
from amrwatch.store.backend import Backend, Params

ROW_GROUP_ROWS = 122_880  # DuckDB's row group size

# One writing transaction at a time per database file in this process. DuckDB's file lock keeps
# other processes out, but connections of one process (API worker threads) share the database,
# and a transaction's snapshot dates from its BEGIN: without this lock two concurrent uploads
# would both miss each other's isolates (duplicates) and take the same ast_id block.
# Re-entrant, so that one thread holding two stores on the same file cannot deadlock itself.
_WRITERS: dict[str, threading.RLock] = {}
_WRITERS_GUARD = threading.Lock()


def _writer_lock(path: str) -> threading.RLock:
    with _WRITERS_GUARD:
        return _WRITERS.setdefault(os.path.realpath(path), threading.RLock())


class DuckDBBackend(Backend):
    dialect = "duckdb"

    def __init__(self, path: str) -> None:
        self.location = path
        self._staged: list[str] = []
        self._in_transaction = False
        self._unordered = False
        self._writer = _writer_lock(path)
        if Path(path).is_dir():
            raise StoreError("The store path is a folder, not a DuckDB file", {"store": path},
                             hint="give a file name such as amrwatch.duckdb")
        try:
            self.con = duckdb.connect(path)
        except duckdb.Error as error:
            raise StoreError(f"Cannot open the DuckDB store: {_first_line(error)}",
                             {"store": path}, hint=_open_hint(error)) from error

    def execute(self, sql: str, params: Params = ()) -> None:
        try:
            self._run(sql, params)
        except duckdb.Error as error:
            raise self._failed(error, sql) from error

    def insert(self, sql: str, params: Params = ()) -> int:
        return int(self._fetchone(sql, params)[0])

    def scalar(self, sql: str, params: Params = ()) -> Any:
        row = self._fetchone(sql, params)
        return row[0] if row else None

    def _fetchone(self, sql: str, params: Params) -> Any:
        try:
            rows = self._run(sql, params)
        except duckdb.Error as error:
            raise self._failed(error, sql) from error
        return rows[0] if rows else None

    def _run(self, sql: str, params: Params) -> list[Any]:
        # DuckDB wants each result consumed before the next statement; a comment-only script
        # (0002_keys.duckdb.sql) gives no result at all.
        result = self.con.execute(sql, list(params) or None)
        return result.fetchall() if result is not None else []

    def query(self, sql: str, params: Params = ()) -> pa.Table:
        try:
            return self.con.sql(sql, params=list(params) or None).to_arrow_table()
        except duckdb.Error as error:
            raise self._failed(error, sql) from error

    def append(self, table: str, data: pa.Table) -> None:
        # BY NAME: the Arrow columns are matched to the table's columns by name, not position.
        self.con.register("_amrwatch_append", _in_row_groups(data))
        try:
            self.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _amrwatch_append")
        finally:
            self.con.unregister("_amrwatch_append")

    @contextmanager
    def unordered_writes(self) -> Iterator[None]:
        # Keeping insertion order makes DuckDB write an insert's row groups one after another;
        # without it, on all its threads: 1 M isolates in 1.7 s instead of 2.5 s on 2 cores
        # (docs/store.md, "Write speed"). Readers order by key (ast_id, isolate_key) anyway.
        self.execute("SET preserve_insertion_order = false")
        self._unordered = True
        try:
            yield
        finally:
            # A failed statement leaves the transaction aborted, and it refuses even RESET: then
            # transaction() resets the setting after its rollback (it belongs to the connection).
            with suppress(duckdb.Error):
                self.con.execute("RESET preserve_insertion_order")
                self._unordered = False

    def stage(self, name: str, data: pa.Table) -> None:
        self.con.register(name, _in_row_groups(data))
        self._staged.append(name)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._in_transaction:  # nested (a stage's transaction around add_upload): join it
            yield
            return
        self._writer.acquire()
        self._in_transaction = True
        try:
            self.con.begin()
        except BaseException:
            self._in_transaction = False
            self._writer.release()
            raise
        try:
            yield
        except BaseException:
            self.con.rollback()
            raise
        else:
            try:
                self.con.commit()
            except duckdb.Error as error:
                raise self._failed(error, "COMMIT") from error
        finally:
            self._in_transaction = False
            if self._unordered:
                self.con.execute("RESET preserve_insertion_order")
                self._unordered = False
            for name in self._staged:
                self.con.unregister(name)
            self._staged.clear()
            self._writer.release()

    def lock_uploads(self) -> None:
        # Already serialised: transaction() holds this file's writer lock from before BEGIN.
        return None

    def close(self) -> None:
        self.con.close()

    def _failed(self, error: duckdb.Error, sql: str) -> StoreError:
        return StoreError(f"The store refused a statement: {_first_line(error)}",
                          {"store": self.location, "statement": " ".join(sql.split())[:120]},
                          hint="this is a bug if it happened during a normal command; "
                          "please report it")


def _in_row_groups(data: pa.Table) -> pa.Table:
    """The table in batches of one DuckDB row group (zero-copy slices). DuckDB scans one Arrow
    chunk on one thread; batches are scanned and written in parallel: 2.1 s instead of 3.7 s
    for 3 million AST rows (docs/store.md, "Write speed")."""
    return pa.Table.from_batches(data.to_batches(max_chunksize=ROW_GROUP_ROWS), data.schema)


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _open_hint(error: duckdb.Error) -> str:
    text = str(error).lower()
    if "lock" in text:
        return "another amrwatch process is using this store; wait for it to finish or close it"
    if "not a valid duckdb" in text or "magic" in text or "corrupt" in text:
        return "this file is not an amrwatch DuckDB store; choose another --db path"
    return "check the folder exists and you may write to it, or choose another --db path"
