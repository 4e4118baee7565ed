"""Repeated rows and repeated isolate ids within one upload, found column-wise.

Takes the reader's rows (and their results); gives which rows repeat an earlier row exactly (they
are rejected as `duplicate_row`) and, for ids, the rank of each repeat (numbered #2, #3 ... and
reported as `duplicate_isolate`). Repeats across uploads are the store's business.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa

from amrwatch.ingest.registry import RawUpload
from amrwatch.ingest.report import Issues


def duplicate_rows(raw: RawUpload, issues: Issues) -> pa.Array:
    """True for a row whose fields and results repeat an earlier row exactly.

    Rows are compared by a 64-bit digest of all their fields and results (DuckDB `hash`; the
    results' digests are summed, so their order does not matter): two different rows sharing a
    digest is a chance of about n^2 / 2^65, one in ten million for a million rows.
    """
    fields = raw.fields
    names = ", ".join(f'f."{n}"' for n in fields.column_names if n != "source_row")
    con = in_memory_duckdb()
    con.register("fields", fields)
    con.register("tests", raw.tests.select(["isolate_row", "source_column", "value"]))
    digests = con.sql(f"""
        WITH r AS (SELECT isolate_row, sum(hash(source_column, value)) AS h FROM tests
                   GROUP BY isolate_row)
        SELECT hash({names}, r.h) AS h FROM fields f
        LEFT JOIN r ON r.isolate_row = f.source_row ORDER BY f.source_row
    """).to_arrow_table()["h"].to_numpy()
    con.close()
    first = first_of_group(digests)
    repeat = first != np.arange(len(digests))
    rows = fields["source_row"].to_numpy()
    issues.add_many("duplicate_row", pa.array(rows[repeat]), None,
                    pa.array(rows[first[repeat]].astype(str)),
                    "the row repeats an earlier row (its number is the value); row rejected")
    return pa.array(repeat)


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
