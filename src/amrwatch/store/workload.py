"""Synthetic WHONET-style uploads in the ISOLATE / AST_RESULT shapes, for benchmarks and tests.

Takes a number of isolates and a seed; gives (isolates, ast_results) Arrow tables shaped like a
WHONET export after reading: one isolate per row, a dozen antimicrobial columns per isolate, MIC
dilutions and disk zones as raw strings. Organisms and antimicrobials are drawn from the AMR
package's `example_isolates` (a real hospital's mix), built column-wise with numpy.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from amrwatch.schemas import AST_RESULT, ISOLATE

TESTS_PER_ISOLATE = 12
# Doubling dilutions 0.002–512 mg/L and disk zones 6–40 mm: the ranges of WHONET result fields.
MICS = ["0.002", "0.004", "0.008", "0.016", "0.03", "0.06", "0.125", "0.25", "0.5", "1", "2",
        "4", "8", "16", "32", "64", "128", "256", "512"]
MIC_VALUES = MICS + [f"<={m}" for m in MICS[:4]] + [f">{m}" for m in MICS[-4:]]
ZONES = [str(z) for z in range(6, 41)]


def _codes() -> tuple[list[str], list[str]]:
    from amrwatch.refdata import table

    example = table("example_isolates")
    antimicrobials = set(table("antimicrobials")["ab"].to_pylist())
    organisms = pc.unique(example["mo"].drop_null()).to_pylist()
    drugs = [name for name in example.column_names if name in antimicrobials]
    return organisms, drugs


def _pick(rng: np.random.Generator, choices: list, n: int) -> pa.Array:
    """n random strings from `choices` as a dictionary array (no per-row objects; a table built
    with a schema decodes it where the schema says text)."""
    indices = pa.array(rng.integers(0, len(choices), n).astype(np.int32))
    return pa.DictionaryArray.from_arrays(indices, pa.array(choices, pa.string()))


def _repeat(value: str, n: int) -> pa.Array:
    return pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, np.int32)), pa.array([value]))


def upload_tables(n_isolates: int, seed: int = 1, lab_code: str = "LAB-BENCH",
                  country: str = "ARG", first_isolate: int = 0) -> tuple[pa.Table, pa.Table]:
    """A synthetic upload of `n_isolates` isolates with TESTS_PER_ISOLATE AST results each."""
    rng = np.random.default_rng(seed)
    organisms, drugs = _codes()
    ids = pa.array(np.char.add(f"{lab_code}-", np.arange(first_isolate, first_isolate + n_isolates)
                               .astype(str)))
    rows = np.arange(1, n_isolates + 1, dtype=np.int64)
    isolates = pa.table({
        "lab_code": _repeat(lab_code, n_isolates), "country": _repeat(country, n_isolates),
        "isolate_id": ids,
        "patient_key": pa.array(np.char.add("p", rng.integers(0, max(n_isolates // 3, 1),
                                                              n_isolates).astype(str))),
        "specimen_date": pa.array(rng.integers(18_000, 20_000, n_isolates).astype(np.int32))
        .cast(pa.date32()),
        "specimen_type": _pick(rng, ["BLOOD", "URINE", "STOOL", "GENITAL", "OTHER"], n_isolates),
        "specimen_type_raw": _pick(rng, ["bl", "ur", "fe", "ge", "ot"], n_isolates),
        "origin": _pick(rng, ["community", "hospital", "unknown"], n_isolates),
        "age_years": pa.array(rng.uniform(0, 95, n_isolates).astype(np.float32)),
        "sex": _pick(rng, ["M", "F", "U"], n_isolates),
        "ward_type": _pick(rng, ["ICU", "medical", "surgical", "outpatient"], n_isolates),
        "organism_raw": _pick(rng, organisms, n_isolates),
        "mo": _pick(rng, organisms, n_isolates),
        "organism_score": pa.array(np.ones(n_isolates)),
        "source_row": pa.array(rows),
    }, schema=ISOLATE)
    return isolates, _ast_tables(rng, isolates, drugs)


def _ast_tables(rng: np.random.Generator, isolates: pa.Table, drugs: list[str]) -> pa.Table:
    n = isolates.num_rows * TESTS_PER_ISOLATE
    owner = pa.array(np.repeat(np.arange(isolates.num_rows, dtype=np.int32), TESTS_PER_ISOLATE))
    # Consecutive drugs from a random start: an isolate is never tested twice with one drug.
    start = rng.integers(0, len(drugs), isolates.num_rows)
    drug_index = ((np.repeat(start, TESTS_PER_ISOLATE)
                   + np.tile(np.arange(TESTS_PER_ISOLATE), isolates.num_rows)) % len(drugs))
    disk = rng.random(n) < 0.5
    column_index = pa.array((drug_index * 2 + disk).astype(np.int32))
    columns = pa.array([f"{d}_N{kind}" for d in drugs for kind in ("M", "D10")])
    value = np.where(disk, rng.integers(0, len(ZONES), n) + len(MIC_VALUES),
                     rng.integers(0, len(MIC_VALUES), n)).astype(np.int32)
    return pa.table({
        "lab_code": _repeat(isolates["lab_code"][0].as_py(), n) if n else pa.array([], pa.string()),
        # as a reader gives it: indices into the upload's own isolate_id column (schemas.py)
        "isolate_id": pa.DictionaryArray.from_arrays(owner, isolates["isolate_id"].combine_chunks()),
        "antimicrobial_raw": pa.DictionaryArray.from_arrays(column_index, columns),
        "ab": pa.DictionaryArray.from_arrays(pa.array(drug_index.astype(np.int32)),
                                             pa.array(drugs)),
        "method": pa.DictionaryArray.from_arrays(pa.array(disk.astype(np.int32)),
                                                 pa.array(["MIC", "DISK"])),
        "value_raw": pa.DictionaryArray.from_arrays(pa.array(value), pa.array(MIC_VALUES + ZONES)),
        "potency": pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, np.int32), mask=~disk),
                                                  pa.array(["10"])),
        "lab_sir": _pick(rng, ["S", "I", "R", None], n),
        "lab_guideline": _repeat("CLSI 2019", n),
        "source_row": isolates["source_row"].take(owner),
        "source_column": pa.DictionaryArray.from_arrays(column_index, columns),
    }, schema=AST_RESULT)
