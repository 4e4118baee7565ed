"""The two shapes of an isolate table, and the columns every analysis needs from it.

Takes an Arrow table either **wide** (one row per isolate, one column per antimicrobial holding
S/I/R, as the AMR R package's `example_isolates`) or **long** (one row per isolate × antimicrobial,
columns `ab` and `sir`, as `Store.isolate_results()` gives). Gives the long form every analysis
computes on (DuckDB UNPIVOT, no Python loops), the names of the date / patient / organism columns
(found among the usual spellings, or the ones the user named), and each organism's genus + species.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal, overload

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from amrwatch import refdata
from amrwatch.errors import InputError

#: Usual spellings of each role, first match wins: AMR example data, the store, GLASS AMR-I.
CANDIDATES = {
    "date": ("date", "specimen_date", "sample_date", "SAMPLE_DATE"),
    "patient": ("patient", "patient_key", "patient_id", "PATIENT_ID"),
    "organism": ("organism", "mo", "PATHOGEN"),
}
#: Columns that together identify one isolate in a long table (those present are used).
ISOLATE_KEY = ("country", "lab_code", "isolate_id")
#: Most resistant first: which of several results for one isolate and drug is kept.
SEVERITY = ("CASE sir WHEN 'R' THEN 0 WHEN 'NS' THEN 1 WHEN 'I' THEN 2 WHEN 'SDD' THEN 3 "
             "WHEN 'S' THEN 4 ELSE 5 END")
#: Interpretation categories that count as tested (AMR `as.sir` levels).
TESTED = ("S", "SDD", "I", "R", "NI")


@dataclass(frozen=True)
class Roles:
    """Column names holding the specimen date, the patient and the organism."""

    date: str
    patient: str
    organism: str


@overload
def find_column(table: pa.Table, role: str, given: str | None,
                required: Literal[True] = True) -> str: ...
@overload
def find_column(table: pa.Table, role: str, given: str | None, required: bool) -> str | None: ...
def find_column(table: pa.Table, role: str, given: str | None, required: bool = True) -> str | None:
    """The `role` column: `given` if the table has it, else the first usual spelling present.

    When none is present: InputError if `required` (so a required column is never None),
    else None."""
    names = table.column_names
    if given is not None and given in names:
        return given
    found = next((name for name in CANDIDATES[role] if name in names), None)
    if found is None and required:
        raise InputError(
            f"No {role} column found",
            {"column asked": given, "columns present": ", ".join(names[:30])},
            hint=f"name the column with --col-{role} (tried {', '.join(CANDIDATES[role])})",
        )
    return found


def roles(table: pa.Table, date: str | None = None, patient: str | None = None,
          organism: str | None = None) -> Roles:
    """Resolve the role columns of `table`; raise InputError naming the missing one."""
    return Roles(find_column(table, "date", date), find_column(table, "patient", patient),
                 find_column(table, "organism", organism))


@cache
def antimicrobial_codes() -> frozenset[str]:
    return frozenset(refdata.table("antimicrobials").column("ab").to_pylist())


def is_long(table: pa.Table) -> bool:
    return "ab" in table.column_names and "sir" in table.column_names


def antimicrobial_columns(table: pa.Table) -> list[str]:
    """Columns of a wide table named by an AMR antimicrobial code (AMP, CIP, ...), in table order."""
    codes = antimicrobial_codes()
    return [name for name in table.column_names if name in codes]


def isolate_key(table: pa.Table) -> list[str]:
    """The columns identifying an isolate in a long table."""
    key = [name for name in ISOLATE_KEY if name in table.column_names]
    if "isolate_id" not in key:
        raise InputError(
            "A long results table needs an isolate_id column",
            {"columns present": ", ".join(table.column_names[:30])},
            hint="add isolate_id (one value per isolate), or give one row per isolate (wide)",
        )
    return key


def row_numbers(n: int) -> pa.Array:
    """"1" … "n" as text: the isolate_id of a wide table's rows (its 1-based row number)."""
    import numpy as np

    return pc.cast(pa.array(np.arange(1, n + 1)), pa.string())


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def to_long(table: pa.Table) -> pa.Table:
    """Long form of `table`: wide tables are unpivoted (isolate_id = 1-based row when absent)."""
    if is_long(table):
        return table
    drugs = antimicrobial_columns(table)
    if not drugs:
        raise InputError(
            "No antimicrobial result columns found",
            {"columns present": ", ".join(table.column_names[:30])},
            hint="name result columns by AMR code (AMP, CIP, ...) or give a long table with ab and sir",
        )
    if "isolate_id" not in table.column_names:
        table = table.append_column("isolate_id", row_numbers(table.num_rows))
    cast = ", ".join(f"CAST({_quote(d)} AS VARCHAR) AS {_quote(d)}" for d in drugs)
    keep = ", ".join(_quote(c) for c in table.column_names if c not in drugs)
    con = duckdb.connect()
    con.register("wide", table)
    return con.sql(
        f"SELECT * FROM (UNPIVOT (SELECT {keep}, {cast} FROM wide) "
        f"ON {', '.join(_quote(d) for d in drugs)} INTO NAME ab VALUE sir) "
        f"WHERE upper(trim(sir)) IN {TESTED}"
    ).to_arrow_table()


def to_wide(table: pa.Table, columns: list[str]) -> pa.Table:
    """One row per isolate of a long table: key, `columns` (first value), one column per drug.

    Rows come in the file order of each isolate's first result, so ties between isolates of one
    day break as they would in the wide file. When an isolate has several results for one drug
    (MIC and disk), the most resistant is kept (R, NS, I, SDD, S), as GLASS counts them.
    """
    import numpy as np

    key = isolate_key(table)
    con = duckdb.connect()
    con.register("results", table.append_column("__row", pa.array(np.arange(table.num_rows))))
    keys = ", ".join(_quote(c) for c in key)
    return con.sql(
        f"SELECT * EXCLUDE (__first) FROM (PIVOT (SELECT {keys}, ab, upper(trim(sir)) AS sir, "
        f"min(__row) OVER (PARTITION BY {keys}) AS __first"
        + "".join(f", first({_quote(c)}) OVER (PARTITION BY {keys}) AS {_quote(c)}"
                  for c in columns if c not in key)
        + f" FROM results) ON ab USING arg_min(sir, {SEVERITY}) GROUP BY {keys}, __first"
        + "".join(f", {_quote(c)}" for c in columns if c not in key)
        + ") ORDER BY __first"
    ).to_arrow_table()


def species_of(organisms: pa.ChunkedArray | pa.Array) -> pa.Array:
    """Genus + species of each organism code (subspecies merged, as AMR `first_isolate` groups).

    An AMR `mo` code gives "Genus species" from the vendored microorganisms table; any other
    value (a lab's own code or name) is its own group, lower-cased; null stays null.
    """
    organisms = pa.chunked_array([organisms]) if isinstance(organisms, pa.Array) else organisms
    distinct = pc.unique(organisms).drop_null()
    names = _species_names()
    raw = pc.utf8_lower(pc.utf8_trim_whitespace(distinct))
    looked_up = pc.take(names.column("species"), pc.index_in(distinct, names.column("mo")))
    species = pc.coalesce(looked_up, raw)
    return pc.take(species, pc.index_in(organisms, distinct)).combine_chunks()


@cache
def _species_names() -> pa.Table:
    micro = refdata.table("microorganisms")
    genus_species = pc.utf8_trim_whitespace(pc.binary_join_element_wise(
        micro.column("genus"), pc.fill_null(micro.column("species"), ""), " "))
    return pa.table({"mo": micro.column("mo"), "species": genus_species})


def unknown_organism(organisms: pa.ChunkedArray | pa.Array) -> pa.Array:
    """True where the organism is missing or AMR's `UNKNOWN` (excluded from first isolates)."""
    return pc.fill_null(pc.equal(organisms, "UNKNOWN"), True)
