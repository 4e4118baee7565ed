"""Weekly count series from isolate-level phenotype hits.

Takes the hits of `amrwatch.detect.rules.phenotype_hits` (one row per isolate and phenotype) and
the columns that define a series (e.g. country); gives the detector input: `series_id`,
`week_index` (weeks since Monday 1970-01-05), `week_start`, `observed`, with the key columns and
`phenotype`, every week from the first week of any data to the last filled with 0 — a detector
must see the weeks without cases.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa

#: Monday before the Unix epoch: week_index 0 starts here (ISO weeks run Monday–Sunday).
MONDAY = dt.date(1970, 1, 5)


def week_index(day: dt.date) -> int:
    return (day - MONDAY).days // 7


def week_start(index: int) -> dt.date:
    return MONDAY + dt.timedelta(weeks=index)


def first_per_patient(hits: pa.Table) -> pa.Table:
    """The first isolate per patient and phenotype (isolates without a patient key all count)."""
    with duckdb.connect() as con:
        con.register("hits", hits)
        return con.sql("""
            SELECT * EXCLUDE (n) FROM (
              SELECT *, row_number() OVER (PARTITION BY phenotype, coalesce(patient_key, lab_code || '/' || isolate_id)
                                           ORDER BY specimen_date, lab_code, isolate_id) AS n
              FROM hits) WHERE n = 1
            ORDER BY specimen_date, lab_code, isolate_id""").to_arrow_table()


def weekly_series(hits: pa.Table, by: list[str], first: dt.date | None = None,
                  end: dt.date | None = None) -> pa.Table:
    """Counts per (by…, phenotype) and week on a complete grid of weeks [first, end]."""
    keys = [*by, "phenotype"]
    key_sql = ", ".join(f'"{k}"' for k in keys)
    series_id = " || '|' || ".join(f"coalesce(CAST(\"{k}\" AS VARCHAR), '')" for k in keys)
    with duckdb.connect() as con:
        con.register("hits", hits)
        bounds = con.execute("SELECT min(specimen_date), max(specimen_date) FROM hits").fetchall()[0]
        if bounds[0] is None:
            return pa.table({"series_id": pa.array([], pa.string())})
        low, high = week_index(first or bounds[0]), week_index(end or bounds[1])
        return con.sql(f"""
            WITH counts AS (
                SELECT {key_sql}, (date_diff('day', DATE '{MONDAY}', specimen_date) // 7) AS week_index,
                       count(*) AS observed
                FROM hits GROUP BY ALL),
            series AS (SELECT DISTINCT {key_sql} FROM hits),
            weeks AS (SELECT range AS week_index FROM range({low}, {high + 1}))
            SELECT {series_id} AS series_id, {key_sql}, w.week_index,
                   DATE '{MONDAY}' + CAST(7 * w.week_index AS INTEGER) AS week_start,
                   coalesce(c.observed, 0) AS observed
            FROM series s CROSS JOIN weeks w
            LEFT JOIN counts c USING ({key_sql}, week_index)
            ORDER BY series_id, w.week_index""").to_arrow_table()
