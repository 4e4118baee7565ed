"""`amrwatch bench read`: how fast a WHONET export on disk becomes stored AST results.

Takes a number of isolates; writes a synthetic WHONET-style pipe-delimited export (WHONET field
codes, 12 result columns of disk and MIC values, some empty, realistic code frequencies) with
numpy, then times, end to end, `read_upload` (read, validate, pseudonymise) and `Store.add_upload`
into a temporary DuckDB file and a throw-away PostgreSQL schema (or the readers alone). Each leg
runs in a fresh process, so its peak memory is its own. Figures: AST rows/s, seconds of each
part, user CPU seconds, peak RSS.
"""

from __future__ import annotations

import multiprocessing
import resource
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

#: Values of the synthetic export: disk columns hold zones in mm, MIC columns dilutions.
ORGANISMS = np.array(["eco", "kpn", "sau", "pae", "aba", "spn", "efa", "scn"])
SPECIMENS = np.array(["bl", "ur", "sp", "wd", "st"])
DISK = ["AMP_ND10", "CIP_ND5", "SXT_ND1_2", "GEN_ND10", "CRO_ND30", "MEM_ND10", "FOX_ND30",
        "ERY_ND15"]
MIC = ["VAN_NM", "PEN_NM", "CTX_NM", "AMK_NM"]
DILUTIONS = np.array(["<=0.25", "0.5", "1", "2", "4", "8", "16", ">32"])
#: Where each leg puts the results it read.
LEGS = {"none": "(readers only)", "duckdb": "DuckDB", "postgres": "PostgreSQL"}


def synthetic_whonet(isolates: int, path: Path, seed: int = 1) -> int:
    """Write the export; return the number of non-empty result cells."""
    rng = np.random.default_rng(seed)
    days = rng.integers(0, 730, isolates)
    dates = np.datetime64("2024-01-01") + days.astype("timedelta64[D]")
    text_dates = _join("/", _day(dates), _month(dates), _year(dates))
    columns = {
        "PATIENT_ID": np.char.mod("P%07d", rng.integers(0, isolates // 2 + 1, isolates)),
        "SEX": rng.choice(np.array(["m", "f"]), isolates),
        "AGE": rng.integers(0, 95, isolates).astype(str),
        "SPEC_NUM": np.char.mod("S%08d", np.arange(isolates)),
        "SPEC_DATE": text_dates,
        "SPEC_TYPE": rng.choice(SPECIMENS, isolates),
        "ORGANISM": rng.choice(ORGANISMS, isolates),
    }
    cells = 0
    for name in DISK + MIC:
        values = rng.integers(6, 40, isolates).astype(str) if name in DISK else \
            rng.choice(DILUTIONS, isolates)
        present = rng.random(isolates) < 0.8
        cells += int(present.sum())
        columns[name] = pa.array(values, pa.string(), mask=~present)
    table = pa.table({k: pa.array(v, pa.string()) for k, v in columns.items()})
    pacsv.write_csv(table, path, write_options=pacsv.WriteOptions(delimiter="|",
                                                                   quoting_style="none"))
    return cells


def _join(separator: str, *parts: np.ndarray) -> np.ndarray:
    text = parts[0].astype(str)
    for part in parts[1:]:
        text = np.char.add(np.char.add(text, separator), part.astype(str))
    return text


def _day(dates: np.ndarray) -> np.ndarray:
    return (dates - dates.astype("datetime64[M]")).astype(int) + 1


def _month(dates: np.ndarray) -> np.ndarray:
    return dates.astype("datetime64[M]").astype(int) % 12 + 1


def _year(dates: np.ndarray) -> np.ndarray:
    return dates.astype("datetime64[Y]").astype(int) + 1970


def measure(isolates: int, legs: list[str], postgres: str,
            repeat: int = 1) -> list[dict[str, Any]]:
    """Generate the export once, then run each leg ("none", "duckdb", "postgres") on it,
    `repeat` times in turn (legs interleaved, so a slow spell of a shared machine does not fall
    on one leg only); each figure has its `run` number."""
    spawn = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory(prefix="amrwatch-bench-") as folder:
        path = Path(folder) / "whonet_export.txt"
        cells = synthetic_whonet(isolates, path)
        figures = []
        for run in range(1, repeat + 1):
            for leg in legs:
                with ProcessPoolExecutor(1, mp_context=spawn) as pool:
                    figure = pool.submit(_leg, path, leg, postgres, cells).result()
                figures.append(figure | {"run": run})
    return figures


def _leg(path: Path, leg: str, postgres: str, cells: int) -> dict[str, Any]:
    """One timed pass, file -> tables (-> store), in this (fresh) process."""
    from amrwatch.cli.bench import peak_rss_mib
    from amrwatch.codes import resolve_antimicrobials, resolve_organisms
    from amrwatch.errors import StoreError

    resolve_organisms(["eco"]), resolve_antimicrobials(["AMP"])  # vocabularies are built once
    figures: dict[str, Any] = {"store": LEGS[leg], "megabytes": path.stat().st_size / 1e6}
    try:
        with _store(leg, path.parent, postgres) as store:
            figures |= _timed(path, store, cells)
    except StoreError as error:
        return figures | {"skipped": str(error).splitlines()[0]}
    return figures | {"peak_rss_mib": peak_rss_mib()}


def _timed(path: Path, store: Any, cells: int) -> dict[str, Any]:
    from amrwatch.ingest import read_upload

    started, cpu = time.perf_counter(), _user_cpu()
    result = read_upload(path, lab="BENCH", country="ARG", key=b"bench-key-" * 4)
    read = time.perf_counter() - started
    stored = result.ast_results.num_rows
    if store is not None:
        outcome = store.add_upload(result.lab_code, result.country, result.file, result.sha256,
                                   result.reader, result.isolates, result.ast_results,
                                   result.report())
        stored = outcome.ast_stored
    seconds = time.perf_counter() - started
    assert stored == cells, "the benchmark lost results"
    return {"isolates": result.isolates.num_rows, "ast_rows": stored, "read_seconds": read,
            "store_seconds": seconds - read, "seconds": seconds,
            "cpu_seconds": _user_cpu() - cpu, "ast_rows_per_s": stored / seconds}


@contextmanager
def _store(leg: str, folder: Path, postgres: str) -> Iterator[Any]:
    """An empty store for the leg (opened and migrated before the clock starts), or None."""
    from amrwatch.store import open_store
    from amrwatch.store.benchmark import scratch_postgres

    if leg == "none":
        yield None
    elif leg == "duckdb":
        with tempfile.TemporaryDirectory(dir=folder) as own, \
                open_store(str(Path(own) / "bench.duckdb")) as store:
            yield store
    else:
        with scratch_postgres(postgres) as url, open_store(url) as store:
            yield store


def _user_cpu() -> float:
    """User CPU seconds of this process, all threads (DuckDB and Arrow work in threads)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_utime
