"""`amrwatch bench ingest`: time `Store.add_upload` of a large WHONET-style upload.

Takes a synthetic upload (amrwatch.store.workload); gives seconds and AST rows/s for a first
upload into an empty store and a second upload (another lab) into a store already holding one,
on a temporary DuckDB file and on a throw-away schema of the PostgreSQL server. CPU seconds are
this process's (all its threads; not the PostgreSQL server's), a figure that a busy machine
distorts less than wall time.
"""

from __future__ import annotations

import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa

from amrwatch.errors import StoreError
from amrwatch.store import open_store
from amrwatch.store.workload import upload_tables

Upload = tuple[pa.Table, pa.Table]


def synthetic_upload(isolates: int) -> tuple[Upload, float]:
    started = time.perf_counter()
    upload = upload_tables(isolates, seed=2024, lab_code="LAB-BENCH", country="ARG")
    return upload, time.perf_counter() - started


def _as_lab(upload: Upload, lab_code: str) -> Upload:
    """The same upload sent by another lab (same ids are distinct isolates of that lab)."""
    def relabel(table: pa.Table) -> pa.Table:
        index = table.column_names.index("lab_code")
        return table.set_column(index, "lab_code", pa.repeat(pa.scalar(lab_code), table.num_rows))
    return relabel(upload[0]), relabel(upload[1])


def _timed_uploads(url: str, upload: Upload, name: str) -> list[dict[str, Any]]:
    figures, held = [], 0
    with open_store(url) as store:
        for lab in ("LAB-BENCH", "LAB-BENCH-2"):
            isolates, ast = _as_lab(upload, lab)
            started, cpu = time.perf_counter(), time.process_time()
            outcome = store.add_upload(lab, "ARG", "bench.txt", f"bench-{lab}", "bench",
                                       isolates, ast, {})
            seconds = time.perf_counter() - started
            cpu = time.process_time() - cpu
            figures.append({
                "store": name, "held": held,
                "seconds": seconds, "cpu_seconds": cpu,
                "ast_rows_per_s": outcome.ast_stored / seconds,
                "isolates_per_s": outcome.isolates_stored / seconds})
            held += outcome.ast_stored
    return figures


def measure_duckdb(upload: Upload) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="amrwatch-bench-") as folder:
        return _timed_uploads(str(Path(folder) / "bench.duckdb"), upload, "DuckDB")


def measure_postgres(upload: Upload, url: str) -> list[dict[str, Any]]:
    """Figures on a fresh schema of the server at `url`, dropped afterwards."""
    try:
        with scratch_postgres(url) as scratch:
            return _timed_uploads(scratch, upload, "PostgreSQL")
    except StoreError as error:
        return [{"store": "PostgreSQL", "skipped": str(error).splitlines()[0]}]


@contextmanager
def scratch_postgres(url: str) -> Iterator[str]:
    """The URL of a throw-away schema on the server at `url`, dropped on exit; StoreError when
    the server cannot be reached."""
    import psycopg

    schema = f"amrwatch_bench_{uuid.uuid4().hex[:8]}"
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=5) as admin:
            admin.execute(f"CREATE SCHEMA {schema}")
    except psycopg.Error as error:
        raise StoreError(f"not reachable ({error})".splitlines()[0], {"store": url}) from error
    joiner = "&" if "?" in url else "?"
    try:
        yield f"{url}{joiner}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")
