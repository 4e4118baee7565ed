"""Breakpoint sources behind one shape: the bundled AMR 3.0.0 table (default) or a WHONET folder.

Takes a source name (None/"amr", or a folder with a user's WHONET AMRIE `Breakpoints.txt`); gives
a `BreakpointSource`: one normalised Arrow table of breakpoint rows plus the organism keys an
isolate's `mo` expands to. Normalised columns (one row per published breakpoint row):

    breakpoint_id, organisation (CLSI|EUCAST), year, type (human|animal|ECOFF), host, method
    (MIC|DISK), site, key (organism key), rank_index (lower = more specific), ab, potency (disk
    content, numbers joined by "/"), s, r, r_strict, uti, is_sdd, table_order, pkpd, screen, blocker

`r_strict` carries trap 1 (refdata README §5): AMR stores EUCAST R as "MIC > r / zone < r" and
CLSI R as "MIC >= r / zone <= r"; WHONET stores every guideline in the ">=/<=" form.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb
import pyarrow as pa

from amrwatch.refdata import table as refdata_table

#: SQL turning a disk content text ("1.25/23.75 mcg", "30µg", "10 units/30 mcg") into "1.25/23.75".
POTENCY_SQL = (
    "nullif(array_to_string(list_transform(regexp_extract_all(replace({col}, ',', '.'),"
    " '[0-9]+(?:\\.[0-9]+)?'), lambda x: CAST(CAST(x AS DOUBLE) AS VARCHAR)), '/'), '')"
)


@dataclass(frozen=True)
class BreakpointSource:
    """A normalised breakpoint table and the function expanding organisms to its keys."""

    name: str
    rows: pa.Table
    candidate_keys: Callable[[pa.Table], pa.Table]  # (mo) -> (mo, key)
    #: organisation -> expected resistance (key, ab, exceptions: keys the rule does not cover)
    expected_resistance: Callable[[str], pa.Table]
    #: provenance written to breakpoint_id for results set by expected resistance
    expected_id: str = "amr-3.0.0/intrinsic_resistant (EUCAST Expected Resistant Phenotypes v1.2)"

    def years(self) -> dict[str, list[int]]:
        con = duckdb.connect()
        con.register("rows", self.rows)
        found = con.execute("SELECT organisation, list(DISTINCT year ORDER BY year) AS years "
                            "FROM rows GROUP BY organisation").fetchall()
        return {org: list(years) for org, years in found}


@cache
def amr_breakpoints() -> pa.Table:
    """The AMR 3.0.0 `clinical_breakpoints` table in the normalised shape (order kept)."""
    con = duckdb.connect()
    con.register("bp", refdata_table("clinical_breakpoints"))
    return con.sql(f"""
        SELECT breakpoint_id,
               split_part(guideline, ' ', 1) AS organisation,
               CAST(split_part(guideline, ' ', 2) AS INTEGER) AS year,
               type, host, method, site, mo AS key, rank_index, ab,
               {POTENCY_SQL.format(col='disk_dose')} AS potency,
               breakpoint_S AS s, breakpoint_R AS r,
               guideline LIKE 'EUCAST%' AS r_strict,
               uti, is_SDD AS is_sdd,
               CAST(split_part(breakpoint_id, '#', 2) AS INTEGER) AS table_order,
               (mo = 'UNKNOWN' OR regexp_matches(ref_tbl, 'PK.*PD', 'i')) AS pkpd,
               (regexp_matches(coalesce(site, ''), 'screen', 'i')
                 OR regexp_matches(coalesce(ref_tbl, ''), 'screen', 'i')) AS screen,
               (breakpoint_S IS NULL AND breakpoint_R IS NULL) AS blocker
        FROM bp ORDER BY table_order
    """).to_arrow_table()


def amr_source() -> BreakpointSource:
    from amrwatch.interpret.organisms import amr_candidate_keys

    return BreakpointSource("AMR 3.0.0", amr_breakpoints(), amr_candidate_keys,
                            amr_expected_resistance)


@cache
def amr_expected_resistance(organisation: str) -> pa.Table:
    """AMR `intrinsic_resistant` (built from EUCAST Expected Resistant Phenotypes v1.2, one row per
    species and drug), offered to CLSI runs as well.

    Intrinsic resistance is a property of the species, not of a guideline: CLSI M100 Appendix B
    lists the same core phenotypes (e.g. Klebsiella and ampicillin, Enterobacterales and
    vancomycin), and most labs of the region report under CLSI, where a Klebsiella read as
    ampicillin-susceptible must not pass. The breakpoint id names the EUCAST table, so the source
    of every such R stays visible; whether a policy applies it is the policy's
    `expected_resistance` setting."""
    con = duckdb.connect()
    con.register("intrinsic", refdata_table("intrinsic_resistant"))
    return con.sql("SELECT DISTINCT mo AS key, ab, []::VARCHAR[] AS exceptions "
                   "FROM intrinsic WHERE $org IN ('EUCAST', 'CLSI')",
                   params={"org": organisation}).to_arrow_table()


def source(name: str | Path | None) -> BreakpointSource:
    """None or "amr" -> the bundled AMR tables; a folder -> the user's WHONET AMRIE tables."""
    if name is None or str(name).lower() in ("amr", "amr-r", "default"):
        return amr_source()
    from amrwatch.interpret.whonet import whonet_source

    return whonet_source(Path(name))
