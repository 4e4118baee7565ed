"""AMR-I date checks of the GLASS platform (glass.md §2, checks 1 and 4).

Takes a DuckDB connection holding the file as table `f` (with a 1-based `row`); gives problems
in the platform's words: a date must be written YYYY-MM-DD and exist on the calendar, and the
admission / visit date must lie between 2016-01-01 and the specimen date.
"""

from __future__ import annotations

import duckdb

from amrwatch.export import glass_codes

DATE_COLUMNS = ("SAMPLE_DATE", "DATEOFHOSPITALISATION_VISIT")


def _present(con: duckdb.DuckDBPyConnection) -> list[str]:
    names = [row[0] for row in con.execute("DESCRIBE f").fetchall()]
    return [c for c in DATE_COLUMNS if c in names]


def date_checks(con: duckdb.DuckDBPyConnection, file: str) -> list[dict]:
    """I1 (format, calendar) for every date column present, then I4 on the admission date."""
    from amrwatch.export.glass_validate import _problems

    messages = glass_codes.spec()["messages"]
    found = []
    for column in _present(con):  # two columns at most, each over all rows at once
        value = f'trim(CAST("{column}" AS VARCHAR))'
        found += _format_problems(con, file, column, value, messages)
    if found or "DATEOFHOSPITALISATION_VISIT" not in _present(con):
        return found
    minimum = glass_codes.spec()["min_admission_date"]
    admission = "CAST(DATEOFHOSPITALISATION_VISIT AS DATE)"
    return (_problems(con, file, "I4", f"SELECT row, 'DATEOFHOSPITALISATION_VISIT' AS column, "
                      f"DATEOFHOSPITALISATION_VISIT AS value, DATEOFHOSPITALISATION_VISIT AS admission FROM f "
                      f"WHERE {admission} < DATE '{minimum}'", messages["I4_min"], min=minimum)
            + _problems(con, file, "I4", f"SELECT row, 'DATEOFHOSPITALISATION_VISIT' AS column, "
                        f"DATEOFHOSPITALISATION_VISIT AS value, DATEOFHOSPITALISATION_VISIT AS admission, "
                        f"SAMPLE_DATE AS date FROM f WHERE {admission} > CAST(SAMPLE_DATE AS DATE)",
                        messages["I4_after"]))


def _format_problems(con: duckdb.DuckDBPyConnection, file: str, column: str, value: str,
                     messages: dict[str, str]) -> list[dict]:
    rows = con.sql(
        f"SELECT row, {value} AS value, regexp_full_match({value}, '\\d{{4}}-\\d{{2}}-\\d{{2}}') AS shaped "
        f"FROM f WHERE {value} <> '' AND (NOT regexp_full_match({value}, '\\d{{4}}-\\d{{2}}-\\d{{2}}') "
        f"OR TRY_CAST({value} AS DATE) IS NULL)").to_arrow_table().to_pylist()
    return [{"file": file, "row": r["row"], "column": column, "value": r["value"],
             "check": "I1", "message": messages["I1_calendar" if r["shaped"] else "I1_format"].format(
                 value=r["value"], column=column, row=r["row"])} for r in rows]
