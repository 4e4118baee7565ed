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

    Rows are first compared by a 64-bit digest of their fields (DuckDB `hash`, one query): rows
    whose digests differ cannot be equal, and in most files no two digests are the same, so the
    results are never looked at. Rows that share a digest are then compared exactly: their
    fields, and the multiset of their results' (column, value).
    """
    fields = raw.fields
    rows = fields["source_row"].to_numpy()
    names = [n for n in fields.column_names if n != "source_row"]
    con = in_memory_duckdb()
    con.register("fields", fields)
    digests = con.sql(f"SELECT hash({', '.join(_quoted(names))}) AS h FROM fields"
                      ).to_arrow_table()["h"].to_numpy()
    con.close()
    first = np.arange(len(rows))
    candidates = _shared(digests)
    if len(candidates):
        first[candidates] = candidates[first_of_group(_exact_keys(raw, candidates, names))]
    repeat = first != np.arange(len(rows))
    issues.add_many("duplicate_row", pa.array(rows[repeat]), None,
                    pa.array(rows[first[repeat]].astype(str)),
                    "the row repeats an earlier row (its number is the value); row rejected")
    return pa.array(repeat)


def _shared(digests: np.ndarray) -> np.ndarray:
    """Positions (ascending) whose digest some other position has too."""
    ordered = np.sort(digests)
    repeated = ordered[1:][ordered[1:] == ordered[:-1]]
    if not len(repeated):
        return np.array([], np.int64)
    return np.flatnonzero(np.isin(digests, repeated))


def _exact_keys(raw: RawUpload, candidates: np.ndarray, names: list[str]) -> np.ndarray:
    """A number per candidate row (positions in raw.fields), equal exactly when the rows' fields
    are equal and so are their sorted lists of results' (column, value) numbers."""
    fields = raw.fields.take(pa.array(candidates))
    key = np.zeros(len(candidates), np.int64)
    for name in names:
        key = _refine(key, _codes(fields[name]))
    # Each result's candidate (-1: a result of another row), by a lookup on its row number.
    rows = fields["source_row"].to_numpy()
    wanted = raw.tests["isolate_row"].to_numpy()
    slot = np.full(int(max(rows.max(initial=0), wanted.max(initial=0))) + 1, -1, np.int64)
    slot[rows] = np.arange(len(rows))
    owner = slot[wanted] if wanted.min(initial=0) >= 0 else np.where(
        wanted >= 0, slot[np.maximum(wanted, 0)], -1)
    mine = owner >= 0
    tests = raw.tests.select(["source_column", "value"]).filter(pa.array(mine))
    owner = owner[mine]
    pair = _refine(_codes(tests["source_column"]), _codes(tests["value"]), dense=False)
    counts = np.bincount(owner, minlength=len(rows))
    key = _refine(key, counts)
    order = np.argsort(_refine(owner, pair, dense=False))
    owner, pair = owner[order], pair[order]
    rank = np.arange(len(owner)) - (np.cumsum(counts) - counts)[owner]
    # The k-th smallest pair of each row, k = 0, 1, ... (results regrouped by k); only rows
    # whose key is still shared with another row need the next one.
    by_rank = np.argsort(rank, kind="stable")
    owner, pair = owner[by_rank], pair[by_rank]
    bounds = np.searchsorted(rank[by_rank], np.arange(int(counts.max(initial=0)) + 1))
    for k in range(len(bounds) - 1):
        at_owner, at_pair = owner[bounds[k]:bounds[k + 1]], pair[bounds[k]:bounds[k + 1]]
        shared = (np.bincount(key) > 1)[key]
        keep = shared[at_owner]
        if not keep.any():
            break
        code = np.full(len(rows), -1, np.int64)
        code[at_owner[keep]] = at_pair[keep]
        key = _refine(key, code)
    return key


def _refine(key: np.ndarray, code: np.ndarray, dense: bool = True) -> np.ndarray:
    """Numbers of the (key, code) pairs (key, code >= -1), equal exactly when both are equal;
    `dense` numbers them 0, 1, 2 ... (else they may be large, never overflowing)."""
    if not len(key):
        return key.astype(np.int64)
    code = code.astype(np.int64) + 1
    width = int(code.max()) + 1
    if (int(key.max()) + 2) * width >= 1 << 62:
        code = np.unique(code, return_inverse=True)[1].reshape(-1)
        width = int(code.max()) + 1
        key = np.unique(key, return_inverse=True)[1].reshape(-1)
    combined = (key.astype(np.int64) + 1) * width + code
    return np.unique(combined, return_inverse=True)[1].reshape(-1) if dense else combined


def _codes(column: pa.ChunkedArray) -> np.ndarray:
    """A number per cell, equal exactly when the texts are (null is a text too)."""
    if pa.types.is_dictionary(column.type):  # number the dictionary's texts, then the indices
        column = column.unify_dictionaries()
        dictionary = column.chunk(0).dictionary if column.num_chunks else pa.array([], pa.string())
        texts = np.append(_codes(pa.chunked_array([dictionary])), -1)
        indices = pa.chunked_array([c.indices for c in column.chunks], column.type.index_type)
        return texts[pc.fill_null(indices, -1).to_numpy()]
    encoded = pc.dictionary_encode(column, null_encoding="encode")
    if not len(encoded):
        return np.array([], np.int64)
    return pa.chunked_array([c.indices for c in encoded.chunks]).to_numpy().astype(np.int64)


def _quoted(names: list[str]) -> list[str]:
    return ['"' + name.replace('"', '""') + '"' for name in names]


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
