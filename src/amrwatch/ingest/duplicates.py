"""Repeated rows and repeated isolate ids within one upload, found column-wise.

Takes the reader's rows (and their results); gives which rows repeat an earlier row exactly (they
are rejected as `duplicate_row`) and, for ids, the rank of each repeat (numbered #2, #3 ... and
reported as `duplicate_isolate`). Repeats across uploads are the store's business.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from amrwatch.ingest.registry import RawUpload
from amrwatch.ingest.report import Issues


def duplicate_rows(raw: RawUpload, issues: Issues) -> pa.Array:
    """True for a row whose fields and results repeat an earlier row exactly.

    Rows are compared by a 64-bit digest of all their fields (DuckDB `hash`) and results (the
    sum of a digest per result, so their order does not matter): two different rows sharing a
    digest is a chance of about n^2 / 2^65, one in ten million for a million rows.
    """
    fields = raw.fields
    rows = fields["source_row"].to_numpy()
    names = ", ".join(f'"{n}"' for n in fields.column_names if n != "source_row")
    con = in_memory_duckdb()
    con.register("fields", fields)
    digests = con.sql(f"SELECT hash({names}) AS h FROM fields").to_arrow_table()["h"].to_numpy()
    con.close()
    digests = digests ^ _mix(_results_digest(raw.tests, rows))
    first = first_of_group(digests)
    repeat = first != np.arange(len(digests))
    issues.add_many("duplicate_row", pa.array(rows[repeat]), None,
                    pa.array(rows[first[repeat]].astype(str)),
                    "the row repeats an earlier row (its number is the value); row rejected")
    return pa.array(repeat)


def _results_digest(tests: pa.Table, rows: np.ndarray) -> np.ndarray:
    """Per row, the sum of a digest of each of its results' (column, value). The pairs are
    numbered through Arrow dictionaries, batch by batch so millions of results never need
    more than a few arrays of one batch at a time."""
    # Row number -> position; the extra last slot (-1) takes any result of an unknown row.
    position = np.full(int(rows.max(initial=0)) + 2, -1)
    position[rows] = np.arange(len(rows))
    columns, values = {}, {}  # text -> number, the same across batches
    total = np.zeros(len(rows), np.uint64)
    for batch in tests.select(["isolate_row", "source_column", "value"]).to_batches(1 << 20):
        pair = (_numbers(batch["source_column"], columns).astype(np.uint64) << np.uint64(32)) \
            + _numbers(batch["value"], values).astype(np.uint64)
        owner = position[np.clip(batch["isolate_row"].to_numpy(), 0, len(position) - 1)]
        known = owner >= 0
        np.add.at(total, owner[known], _mix(pair[known]))
    return total


def _numbers(texts: pa.Array, numbering: dict[str | None, int]) -> np.ndarray:
    """A number per text, stable across calls through `numbering` (null is a text too)."""
    encoded = pc.dictionary_encode(texts, null_encoding="encode")
    for text in encoded.dictionary.to_pylist():  # the distinct texts of one batch: a few hundred
        numbering.setdefault(text, len(numbering))
    mapped = np.array([numbering[t] for t in encoded.dictionary.to_pylist()], np.uint32)
    return mapped[encoded.indices.to_numpy()]


def _mix(keys: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser (Steele, Lea & Flood 2014): a well-spread 64-bit digest of a key."""
    z = keys.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def first_of_group(keys: np.ndarray) -> np.ndarray:
    """For each position, the position of the first element with the same key."""
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    return first[inverse]


def rank_in_group(keys: np.ndarray) -> np.ndarray:
    """1 for the first element of each key (in order), 2 for its first repeat, and so on."""
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    n = len(keys)
    starts = np.r_[True, ordered[1:] != ordered[:-1]] if n else np.array([], bool)
    start_of_group = np.maximum.accumulate(np.where(starts, np.arange(n), 0)) if n else starts
    rank = np.empty(n, np.int64)
    rank[order] = np.arange(n) - start_of_group + 1
    return rank


def in_memory_duckdb() -> duckdb.DuckDBPyConnection:
    """A private in-memory DuckDB, quiet (no progress bar on a user's terminal)."""
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    return con
