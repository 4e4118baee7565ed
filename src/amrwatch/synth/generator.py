"""`generate()`: the whole synthetic dataset, streamed chunk by chunk to files.

Takes an output folder, a number of isolates, a seed, a chunk size and a mess rate; writes
`labs.tsv` (registry), `whonet/`, `lis/` (+ mapping YAML), `fhir/`, `hl7/` lab files, `truth/`
(every isolate and AST row as generated, Parquet), `ground_truth.json` (seeded events and mess
counts) and `manifest.json`. Memory stays flat: a chunk is written and dropped before the next.
Same seed and size → byte-identical files.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from amrwatch.errors import ConfigurationError
from amrwatch.schemas import SYNTH_AST, SYNTH_ISOLATE
from amrwatch.synth import events
from amrwatch.synth.chunk import Chunk, build_chunk
from amrwatch.synth.geography import laboratories
from amrwatch.synth.phenotype import Prevalence
from amrwatch.synth.population import daily_weights, lab_weights, study_days
from amrwatch.synth.writers import LabFiles

Progress = Callable[[int], None]
MIN_ISOLATES, MAX_ISOLATES = 100, 10_000_000


@dataclass
class Result:
    out: Path
    isolates: int = 0
    ast_results: int = 0
    files: dict[str, int] = field(default_factory=dict)


def _chunks(counts: np.ndarray, chunk_size: int) -> list[tuple[int, int]]:
    """Blocks of consecutive days holding about `chunk_size` isolates each."""
    ends = np.searchsorted(np.cumsum(counts), np.arange(chunk_size, counts.sum(), chunk_size))
    bounds = np.unique(np.concatenate([[0], ends + 1, [len(counts)]]))
    return [(int(a), int(b)) for a, b in pairwise(bounds) if b > a]


class TruthWriter:
    """Streams the generated isolates and AST rows to Parquet (the answer key for tests)."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.writers: dict[str, pq.ParquetWriter] = {}

    def write(self, name: str, batch: pa.Table) -> None:
        if name not in self.writers:
            self.writers[name] = pq.ParquetWriter(self.folder / f"{name}.parquet", batch.schema,
                                                  compression="zstd")
        self.writers[name].write_table(batch)

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close()


def _truth_tables(chunk: Chunk) -> tuple[pa.Table, pa.Table]:
    isolates = chunk.isolates.assign(specimen_date=chunk.isolates.specimen_date.dt.date,
                                     admission_date=chunk.isolates.admission_date.dt.date)
    iso = pa.Table.from_pandas(isolates[SYNTH_ISOLATE.names], schema=SYNTH_ISOLATE,
                               preserve_index=False)
    ast, row = chunk.ast, chunk.ast.row
    columns = {"lab_code": chunk.isolates.lab_code.to_numpy(object)[row],
               "isolate_id": chunk.isolates.isolate_id.to_numpy(object)[row],
               **{name: ast.text(name) for name in ("organism", "ab", "method", "potency")},
               "value": ast.value, "guideline": ast.text("guideline"),
               "lab_sir": ast.text("lab_sir"), "resistant": ast.resistant}
    return iso, pa.table({k: pa.array(v, SYNTH_AST.field(k).type) for k, v in columns.items()},
                         schema=SYNTH_AST)


def generate(out: Path, isolates: int, seed: int, chunk_size: int = 250_000, mess: float = 0.01,
             progress: Progress | None = None) -> Result:
    """Write the dataset to `out`; `progress` is called with the isolates done after each chunk."""
    if not MIN_ISOLATES <= isolates <= MAX_ISOLATES:
        raise ConfigurationError("Number of isolates out of range", {"isolates": isolates},
                                 hint=f"choose between {MIN_ISOLATES:,} and {MAX_ISOLATES:,}")
    if not 0 <= mess <= 0.2:
        raise ConfigurationError("Mess rate out of range", {"mess": mess}, hint="use 0 to 0.2")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    labs = laboratories(seed)
    days = study_days()
    counts = np.random.default_rng([seed, 0]).multinomial(isolates, daily_weights(days))
    patients = np.maximum(50, isolates * lab_weights(labs) * 0.8)
    seeded, prevalence = events.Seeded.draw(labs, seed), Prevalence.draw(len(labs), seed)
    counters = np.zeros(len(labs), np.int64)
    files, truth = LabFiles(out, labs, mess, seed), TruthWriter(out / "truth")
    result, seen = Result(out), []
    for number, (a, b) in enumerate(_chunks(counts, chunk_size)):
        end = days[b] if b < len(days) else days[-1] + 1
        chunk = build_chunk(days[a], end, np.repeat(days[a:b], counts[a:b]), labs, patients,
                            seeded, prevalence, counters, np.random.default_rng([seed, 10, number]))
        files.write(chunk, number)
        iso_truth, ast_truth = _truth_tables(chunk)
        truth.write("isolates", iso_truth)
        truth.write("ast", ast_truth)
        events_only = chunk.isolates[chunk.isolates.event != ""]
        seen.append(events_only.assign(specimen_date=events_only.specimen_date.dt.date))
        result.isolates += len(chunk.isolates)
        result.ast_results += len(chunk.ast)
        if progress:
            progress(len(chunk.isolates))
    truth.close()
    result.files = files.close()
    _write_metadata(out, labs, seen, files.mess_counts, seed, isolates, result)
    return result


def _write_metadata(out: Path, labs: pd.DataFrame, seen: list[pd.DataFrame],
                    mess_counts: dict[str, dict[str, int]], seed: int, isolates: int,
                    result: Result) -> None:
    labs.to_csv(out / "labs.tsv", sep="\t", index=False, lineterminator="\n")
    truth: dict[str, Any] = events.ground_truth(labs, pd.concat(seen, ignore_index=True))
    truth["mess"] = mess_counts
    (out / "ground_truth.json").write_text(
        json.dumps(truth, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    manifest = {"generator": "amrwatch.synth", "seed": seed, "isolates_requested": isolates,
                "isolates": result.isolates, "ast_results": result.ast_results,
                "files": result.files}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n",
                                       encoding="utf-8")
