"""A user's WHONET AMRIE breakpoints as a breakpoint source (never bundled: licence unclear).

Takes a folder: either one imported with `amrwatch refdata import-whonet` (MANIFEST.json) or the
AMRIE tables folder itself (imported on the fly into a temporary folder). Gives a
`BreakpointSource` in the shape of breakpoints.py. Organism keys follow the WHONET model
(refdata README §4.1): a row is keyed by ORGANISM_CODE_TYPE:ORGANISM_CODE and ranked
SEROVAR_GROUP 1, WHONET_ORG_CODE 2, SPECIES_GROUP 3, GENUS_CODE 4, GENUS_GROUP 5, FAMILY_CODE 6,
ANAEROBE+SUBKINGDOM_CODE 7, ANAEROBE 8; "ALL"/"Gen"/blank rows are never matched (AMRIE). Rows
with blank S and R are kept as blockers: they win the ranking and give no interpretation.
WHONET stores every R as ">= r" (MIC) / "<= r" (disk) (trap 1); R = 129/257/513/1025 means
"> 128/256/512/1024" and is stored here as a strict R of 128/256/512/1024. Expected resistance
comes from the folder's ExpectedResistancePhenotypes.txt, for CLSI and EUCAST alike.
"""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from amrwatch.errors import ReferenceDataError
from amrwatch.interpret.breakpoints import POTENCY_SQL, BreakpointSource

#: ORGANISM_CODE_TYPE -> specificity rank (refdata README §4.1).
RANKS = {"SEROVAR_GROUP": 1, "WHONET_ORG_CODE": 2, "SPECIES_GROUP": 3, "GENUS_CODE": 4,
         "GENUS_GROUP": 5, "FAMILY_CODE": 6, "ANAEROBE+SUBKINGDOM_CODE": 7, "ANAEROBE": 8}


def whonet_source(folder: Path) -> BreakpointSource:
    tables = _tables(str(Path(folder).resolve()))
    return BreakpointSource(f"WHONET {folder}", _breakpoints(tables),
                            lambda mos: _candidate_keys(tables, mos),
                            lambda organisation: _expected_resistance(tables, organisation),
                            "whonet/ExpectedResistancePhenotypes.txt")


@cache
def _tables(folder: str):
    from amrwatch.refdata import whonet

    path = Path(folder)
    tables = whonet.load(path)
    if tables is None and (path / "Breakpoints.txt").is_file():
        target = Path(tempfile.mkdtemp(prefix="amrwatch-whonet-")) / "whonet"
        whonet.import_whonet(path, target)
        tables = whonet.load(target)
    if tables is None:
        raise ReferenceDataError(
            "No WHONET breakpoint tables in this folder", {"folder": folder},
            hint="give the AMRIE folder with Breakpoints.txt and Organisms.txt, or one imported "
                 "with `amrwatch refdata import-whonet`")
    return tables


def _breakpoints(tables) -> pa.Table:
    from amrwatch.interpret.organisms import resolve_antimicrobials

    raw = tables.breakpoints()
    codes = raw["WHONET_ABX_CODE"].unique()
    con = duckdb.connect()
    con.register("raw", raw.append_column("row_no", pa.array(np.arange(1, raw.num_rows + 1))))
    con.register("drugs", pa.table({"code": codes,
                                    "ab": resolve_antimicrobials(codes, "whonet")}))
    con.register("ranks", pa.table({"type": list(RANKS), "rank": list(RANKS.values())}))
    return con.sql(f"""
      WITH b AS (
        SELECT r.*, lower(r.BREAKPOINT_TYPE) AS btype,
          r.TEST_METHOD = 'MIC' AND r.R IN (129, 257, 513, 1025) AS capped_r
        FROM raw r)
      SELECT 'whonet/Breakpoints.txt#' || row_no AS breakpoint_id, GUIDELINES AS organisation,
        YEAR AS year, CASE btype WHEN 'ecoff' THEN 'ECOFF' ELSE btype END AS type,
        CASE btype WHEN 'human' THEN 'human' WHEN 'ecoff' THEN 'ECOFF'
             ELSE CASE lower(split_part(HOST, ' ', 1)) WHEN 'horses' THEN 'horse'
                  ELSE lower(split_part(HOST, ' ', 1)) END END AS host,
        upper(TEST_METHOD) AS method, nullif(SITE_OF_INFECTION, '') AS site,
        ORGANISM_CODE_TYPE || ':' || ORGANISM_CODE AS key,
        CAST(coalesce(k.rank, 99) AS DOUBLE) AS rank_index, d.ab,
        {POTENCY_SQL.format(col='POTENCY')} AS potency,
        CASE WHEN btype = 'ecoff' THEN ECV_ECOFF ELSE S END AS s,
        CASE WHEN btype = 'ecoff' THEN ECV_ECOFF WHEN capped_r THEN R - 1 ELSE R END AS r,
        btype = 'ecoff' OR capped_r AS r_strict,
        regexp_matches(coalesce(SITE_OF_INFECTION, ''), 'urin', 'i') AS uti,
        coalesce(SDD, '') NOT IN ('', '-') AS is_sdd, CAST(row_no AS INTEGER) AS table_order,
        FALSE AS pkpd, regexp_matches(coalesce(SITE_OF_INFECTION, ''), 'screen', 'i') AS screen,
        btype <> 'ecoff' AND S IS NULL AND R IS NULL AS blocker
      FROM b LEFT JOIN ranks k ON k.type = b.ORGANISM_CODE_TYPE
      LEFT JOIN drugs d ON d.code = b.WHONET_ABX_CODE
      WHERE d.ab IS NOT NULL ORDER BY row_no""").to_arrow_table()


def _expected_resistance(tables, organisation: str) -> pa.Table:
    """ExpectedResistancePhenotypes.txt rows of one guideline as (key, ab, exceptions). An
    ATC_CODE rule covers every drug whose ATC code starts with it (J01G = aminoglycosides),
    minus ANTIBIOTIC_EXCEPTIONS (README §2.1)."""
    from amrwatch.interpret.organisms import resolve_antimicrobials

    drugs = tables.antibiotics().select(["WHONET_ABX_CODE", "ATC_CODE"])
    codes = drugs["WHONET_ABX_CODE"].unique()
    con = duckdb.connect()
    con.register("rules", tables.expected_resistance())
    con.register("drugs", drugs)
    con.register("abmap", pa.table({"code": codes, "ab": resolve_antimicrobials(codes, "whonet")}))
    return con.sql("""
      WITH r AS (
        SELECT e.*, CASE WHEN e.ABX_CODE_TYPE = 'ATC_CODE' THEN d.WHONET_ABX_CODE
                         ELSE e.ABX_CODE END AS code
        FROM rules e LEFT JOIN (SELECT DISTINCT * FROM drugs) d
          ON e.ABX_CODE_TYPE = 'ATC_CODE' AND starts_with(d.ATC_CODE, e.ABX_CODE)
        WHERE e.GUIDELINE = $org)
      SELECT DISTINCT r.ORGANISM_CODE_TYPE || ':' || r.ORGANISM_CODE AS key, m.ab,
        CASE WHEN coalesce(r.EXCEPTION_ORGANISM_CODE, '') = '' THEN []::VARCHAR[] ELSE
          list_transform(string_split(r.EXCEPTION_ORGANISM_CODE, ','),
                         lambda x: r.EXCEPTION_ORGANISM_CODE_TYPE || ':' || trim(x)) END AS exceptions
      FROM r JOIN abmap m ON m.code = r.code
      WHERE m.ab IS NOT NULL AND NOT list_contains(
        list_transform(string_split(coalesce(r.ANTIBIOTIC_EXCEPTIONS, ''), ','), lambda x: trim(x)),
        r.code)""", params={"org": organisation}).to_arrow_table()


def _candidate_keys(tables, mos: pa.Table) -> pa.Table:
    """(mo, key) from each organism's WHONET Organisms.txt row, one key per group column."""
    from amrwatch.codes.whonet_map import whonet_rows_by_mo

    rows = whonet_rows_by_mo(tables)
    pairs = []
    for mo in dict.fromkeys(m for m in mos["mo"].to_pylist() if m is not None):
        row = rows.get(mo)
        if row is None:
            continue
        for column in ("SEROVAR_GROUP", "WHONET_ORG_CODE", "SPECIES_GROUP", "GENUS_CODE",
                       "GENUS_GROUP", "FAMILY_CODE"):
            if row[column]:
                pairs.append((mo, f"{column}:{row[column]}"))
        if row["SUBKINGDOM_CODE"] in ("+", "-"):  # Gram stain, used by expected resistance
            pairs.append((mo, f"SUBKINGDOM_CODE:{row['SUBKINGDOM_CODE']}"))
        if row["ANAEROBE"] == "X":
            pairs.append((mo, "ANAEROBE:ANA"))
            sign = row["SUBKINGDOM_CODE"]
            if sign in ("+", "-"):
                pairs.append((mo, f"ANAEROBE+SUBKINGDOM_CODE:AN{sign}"))
    return pa.table({"mo": pa.array([p[0] for p in pairs], pa.string()),
                     "key": pa.array([p[1] for p in pairs], pa.string())})
