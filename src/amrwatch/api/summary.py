"""Resistance counts per country, lab, year, organism, antimicrobial and guideline, kept warm.

Takes the store; gives an Arrow table of counts (n tested, n R, n I, n S) that the data-access
layer filters by the caller's scope. Pages never scan isolate-level rows: one GROUP BY runs inside
the store when its data changes (a new upload, reinterpretation or sharing decision), and
requests then read the small result. Answers to the same (scoped) query are remembered until the
store changes: they are exact, because the counts do not change in between. This is what keeps
the pages fast with millions of isolates.
"""

from __future__ import annotations

import threading
import time

import duckdb
import pyarrow as pa

from amrwatch.api import queries

#: Aggregated inside the store: only interpreted results count (GLASS RIS counts, issue 7).
COUNTS_SQL = """
SELECT country, lab_code, CAST(EXTRACT(YEAR FROM specimen_date) AS INTEGER) AS year, mo, ab,
       guideline, count(*) AS n,
       count(*) FILTER (WHERE sir = 'R') AS n_r,
       count(*) FILTER (WHERE sir IN ('I', 'SDD')) AS n_i,
       count(*) FILTER (WHERE sir = 'S') AS n_s
FROM ({results}) AS results
WHERE sir IN ('S', 'SDD', 'I', 'R') AND mo IS NOT NULL AND ab IS NOT NULL
GROUP BY country, lab_code, CAST(EXTRACT(YEAR FROM specimen_date) AS INTEGER), mo, ab, guideline
"""



FRESHNESS_SECONDS = 2.0
REMEMBERED_ANSWERS = 4096


class ResistanceCounts:
    """A cached counts table plus an in-memory DuckDB to query it with the caller's filter."""

    def __init__(self, store, results_sql: str, policy: str) -> None:
        self.store = store
        self.results_sql = results_sql
        self.policy = policy
        self._lock = threading.Lock()
        self._checked_at = 0.0
        self._version: tuple | None = None
        self._table: pa.Table | None = None
        self._policies: dict[str, str] = {}
        self._answers: dict[tuple, pa.Table] = {}
        self._engine = duckdb.connect()

    def _current_version(self) -> tuple:
        row = self.store.query(queries.VERSION, []).to_pylist()[0]
        return tuple(row.values())

    def table(self) -> pa.Table:
        """The counts table, recomputed when the store has changed since the last look."""
        now = time.monotonic()
        if self._table is not None and now - self._checked_at < FRESHNESS_SECONDS:
            return self._table
        with self._lock:
            version = self._current_version()
            if self._table is None or version != self._version:
                self._table = self.store.query(COUNTS_SQL.format(results=self.results_sql),
                                               [self.policy])
                rows = self.store.query(queries.POLICIES, []).to_pylist()
                self._policies = {row["country"]: row["sharing"] for row in rows}
                self._version = version
                self._answers = {}
            self._checked_at = now
            return self._table

    def invalidate(self) -> None:
        """Look at the store's change marker on the next request (after a write of our own)."""
        self._checked_at = 0.0

    def policies(self) -> dict[str, str]:
        """Country → `isolate` | `aggregate`, refreshed with the counts."""
        self.table()
        return self._policies

    def select(self, sql: str, params: list) -> pa.Table:
        """Run `sql` over the counts (named `counts`) in a cursor of the in-memory engine."""
        counts = self.table()
        key = (sql, tuple(params))
        answer = self._answers.get(key)
        if answer is not None:
            return answer
        cursor = self._engine.cursor()
        try:
            cursor.register("counts", counts)
            answer = cursor.sql(sql, params=params).to_arrow_table()
        finally:
            cursor.close()
        if len(self._answers) >= REMEMBERED_ANSWERS:
            self._answers.clear()
        self._answers[key] = answer
        return answer

    def remember(self, key: tuple, compute) -> pa.Table:
        """`compute()`'s answer, remembered under `key` until the store changes."""
        self.table()
        answer = self._answers.get(key)
        if answer is None:
            answer = self._answers[key] = compute()
        return answer

    def store_query(self, sql: str, params: list) -> pa.Table:
        """A (scoped) query on the store, remembered like `select` until the store changes."""
        return self.remember(("store", sql, tuple(params)), lambda: self.store.query(sql, params))
