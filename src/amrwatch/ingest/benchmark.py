"""`amrwatch bench read`: how fast a WHONET export becomes validated tables.

Takes a number of isolates; writes a synthetic WHONET-style pipe-delimited export (WHONET field
codes, 12 result columns of disk and MIC values, some empty, realistic code frequencies) with
numpy, then times `read_upload` on it. Figures: AST rows/s, isolates/s, seconds, peak memory.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

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


def measure(isolates: int) -> dict[str, float]:
    """Generate, then read once; the figures of the read."""
    from amrwatch.codes import resolve_antimicrobials, resolve_organisms
    from amrwatch.ingest import read_upload

    resolve_organisms(["eco"]), resolve_antimicrobials(["AMP"])  # vocabularies are built once
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "whonet_export.txt"
        cells = synthetic_whonet(isolates, path)
        size = path.stat().st_size
        start = time.perf_counter()
        result = read_upload(path, lab="BENCH", country="ARG", key=b"bench-key-" * 4)
        seconds = time.perf_counter() - start
    assert result.ast_results.num_rows == cells, "the benchmark lost results"
    return {"isolates": result.isolates.num_rows, "ast_rows": result.ast_results.num_rows,
            "megabytes": size / 1e6, "seconds": seconds,
            "ast_rows_per_s": result.ast_results.num_rows / seconds,
            "isolates_per_s": result.isolates.num_rows / seconds}
