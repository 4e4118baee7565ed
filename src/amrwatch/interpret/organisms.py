"""Organisms for breakpoint lookup: lab text -> accepted `mo` -> the breakpoint keys it matches.

Takes distinct organism texts; gives their accepted AMR `mo` through `amrwatch.codes` (renamed
taxa followed, trap 13). `amr_candidate_keys` expands each distinct `mo` to the `mo` keys of the
AMR breakpoint table exactly as AMR 3.0.0 as.sir() does (data/vocabulary.yaml `organism_keys`);
the breakpoint row's own `rank_index` then orders them from most to least specific.
This module derives keys itself from `refdata.table("microorganisms")` rather than from
`amrwatch.codes.organism_properties`, because AMR's anaerobe test is the exact oxygen tolerance
"anaerobe" while amrwatch's organism properties also count "anaerobe/microaerophile".
"""

from __future__ import annotations

from functools import cache

import duckdb
import numpy as np
import pyarrow as pa

from amrwatch.interpret.data import read_yaml
from amrwatch.refdata import table as refdata_table


def resolve(texts: pa.Array) -> pa.Array:
    """Accepted `mo` for each text (null when unresolved), aligned with `texts`."""
    from amrwatch.codes import resolve_organisms

    return resolve_organisms(texts).column("mo").combine_chunks()


def resolve_antimicrobials(texts: pa.Array, coding: str = "auto") -> pa.Array:
    """Canonical AMR `ab` for each text (null when unresolved), aligned with `texts`.

    `coding` "amr" reads codes as AMR's as.ab() does (STR = streptoduocin), "auto" as WHONET
    (STR = streptomycin), refdata README trap 8.
    """
    from amrwatch.codes import resolve_antimicrobials as resolve_ab

    return resolve_ab(texts, coding=coding).column("ab").combine_chunks()


@cache
def _taxonomy() -> pa.Table:
    """microorganisms with its table position, so 'first row with this name' is well defined."""
    taxa = refdata_table("microorganisms").select(
        ["mo", "fullname", "kingdom", "phylum", "class", "order", "family", "genus",
         "oxygen_tolerance"])
    return taxa.append_column("pos", pa.array(np.arange(taxa.num_rows)))


def amr_candidate_keys(mos: pa.Table) -> pa.Table:
    """(mo, key) for every distinct non-null `mo` of `mos`: the keys AMR as.sir() would try."""
    rules = read_yaml("vocabulary.yaml")["organism_keys"]
    con = duckdb.connect()
    con.register("taxa", _taxonomy())
    con.register("groups", refdata_table("microorganisms.groups"))
    con.register("wanted", mos.select(["mo"]))
    params = {name: rules[name] for name in (
        "gram_positive_phyla", "gram_negative_classes", "gram_positive_mo",
        "anaerobe_oxygen_tolerance", "gram_negative_keys", "gram_positive_keys",
        "anaerobe_negative_keys", "anaerobe_positive_keys", "pkpd_key")}
    return con.sql(_KEYS_SQL, params=params).to_arrow_table()


# Higher ranks are looked up by NAME, first row of that name in the taxonomy (AMR matches the
# genus/family/order/class name against `fullname`).
_KEYS_SQL = """
WITH first_by_name AS (SELECT fullname, arg_min(mo, pos) AS mo FROM taxa GROUP BY fullname),
org AS (SELECT DISTINCT t.* FROM (SELECT DISTINCT mo FROM wanted WHERE mo IS NOT NULL) w
        JOIN taxa t USING (mo)),
gram AS (
  SELECT mo, oxygen_tolerance IN (SELECT unnest($anaerobe_oxygen_tolerance)) AS anaerobe,
    CASE WHEN kingdom <> 'Bacteria' THEN NULL
         WHEN mo IN (SELECT unnest($gram_positive_mo)) THEN 'positive'
         WHEN phylum IN (SELECT unnest($gram_positive_phyla))
              AND coalesce(class, '') NOT IN (SELECT unnest($gram_negative_classes)) THEN 'positive'
         ELSE 'negative' END AS gram
  FROM org)
SELECT mo, mo AS key FROM org
UNION SELECT o.mo, f.mo FROM org o JOIN first_by_name f ON f.fullname IN (o.genus, o.family, o."order", o.class)
UNION SELECT g.mo, g.mo_group FROM groups g JOIN org USING (mo)
UNION SELECT mo, unnest(CASE gram WHEN 'negative' THEN
                  list_concat($gram_negative_keys, CASE WHEN anaerobe THEN $anaerobe_negative_keys ELSE [] END)
                 ELSE list_concat($gram_positive_keys, CASE WHEN anaerobe THEN $anaerobe_positive_keys ELSE [] END)
                 END) FROM gram WHERE gram IS NOT NULL
UNION SELECT mo, $pkpd_key FROM org
"""
