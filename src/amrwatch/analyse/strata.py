"""Strata users group results by: country, lab, year, quarter, specimen, origin, age group, sex, …

Takes a long results table and the names of the strata wanted (`by`); gives SQL select expressions
that add each stratum as a column under its own name. `year` and `quarter` come from the specimen
date, `age_group` from the age in years with the GLASS bands of `data/age_groups.yaml`; any other
name is a column of the table (e.g. `ward`, `syndrome`) or one of its usual spellings below.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import pyarrow as pa
import yaml

from amrwatch.analyse import isolates
from amrwatch.errors import InputError

#: Usual column spellings of each stratum (amrwatch store, AMR example data, GLASS AMR-I).
SPELLINGS = {
    "country": ("country", "COUNTRY"),
    "lab": ("lab_code", "lab", "LABORATORYCODE"),
    "specimen": ("specimen_type", "specimen", "SPECIMEN"),
    "origin": ("origin", "ORIGIN"),
    "sex": ("sex", "gender", "GENDER"),
    "organism": ("mo", "organism", "PATHOGEN"),
    "age": ("age_years", "age", "AGE"),
}
DERIVED = ("year", "quarter", "age_group")


@cache
def age_groups() -> dict[str, Any]:
    path = resources.files("amrwatch.analyse") / "data" / "age_groups.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def q(name: str) -> str:
    """A column name quoted for DuckDB SQL."""
    return '"' + name.replace('"', '""') + '"'


def column_for(table: pa.Table, name: str) -> str:
    """The table column holding stratum `name`; InputError listing the columns when absent."""
    names = table.column_names
    if name in names:
        return name
    found = next((c for c in SPELLINGS.get(name, ()) if c in names), None)
    if found is None:
        raise InputError(
            f"Cannot group by {name!r}: no such column",
            {"columns present": ", ".join(names[:30])},
            hint=f"group by one of: {', '.join(sorted(set(SPELLINGS) | set(DERIVED)))} or a column name",
        )
    return found


def age_group_sql(age_column: str) -> str:
    """CASE expression giving the GLASS age group of an age in years (unknown -> UNK)."""
    spec = age_groups()
    age = f"TRY_CAST({q(age_column)} AS DOUBLE)"
    cases = " ".join(
        f"WHEN {age} >= {band['lower']} AND {age} < {band['upper']} THEN '{band['code']}'"
        for band in spec["bands"])
    return f"CASE {cases} ELSE '{spec['unknown']}' END"


def expression(table: pa.Table, name: str, date: str | None = None) -> str:
    """SQL expression (text) giving stratum `name` for each row of `table`."""
    if name in ("year", "quarter"):
        day = f"TRY_CAST({q(isolates.find_column(table, 'date', date))} AS DATE)"
        return (f"CAST(year({day}) AS VARCHAR)" if name == "year"
                else f"year({day}) || '-Q' || quarter({day})")
    if name == "age_group":
        return age_group_sql(column_for(table, "age"))
    return f"CAST({q(column_for(table, name))} AS VARCHAR)"


def source_columns(table: pa.Table, name: str, date: str | None = None) -> list[str]:
    """The table columns stratum `name` is computed from (kept when a long table is pivoted)."""
    if name in ("year", "quarter"):
        return [isolates.find_column(table, "date", date)]
    return [column_for(table, "age" if name == "age_group" else name)]


def select_sql(table: pa.Table, by: list[str] | tuple[str, ...], date: str | None = None) -> str:
    """`expr AS name` for each stratum of `by`, comma-separated ('' when `by` is empty)."""
    return ", ".join(f"{expression(table, name, date)} AS {q(name)}" for name in by)
