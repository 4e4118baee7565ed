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

import threading
from functools import cache

import duckdb
import numpy as np
import pyarrow as pa

from amrwatch.interpret.data import read_yaml
from amrwatch.refdata import table as refdata_table


def resolve(texts: pa.Array) -> pa.Array:
    """Accepted `mo` for each text (null when unresolved), aligned with `texts`."""
    from amrwatch.codes import resolve_organisms

    return _memoised(texts, "organism", lambda new: resolve_organisms(new).column("mo"))


def resolve_antimicrobials(texts: pa.Array, coding: str = "auto") -> pa.Array:
    """Canonical AMR `ab` for each text (null when unresolved), aligned with `texts`.

    `coding` "amr" reads codes as AMR's as.ab() does (STR = streptoduocin), "auto" as WHONET
    (STR = streptomycin), refdata README trap 8.
    """
    from amrwatch.codes import resolve_antimicrobials as resolve_ab

    return _memoised(texts, f"antimicrobial/{coding}",
                     lambda new: resolve_ab(new, coding=coding).column("ab"))


#: text -> code answers already given, per vocabulary: the resolver is a pure function of the
#: vendored reference tables, and reinterpretation asks about the same few hundred texts again.
_ANSWERS: dict[str, dict[str | None, str | None]] = {}


def _memoised(texts: pa.Array, vocabulary: str, resolve_new) -> pa.Array:
    wanted = texts.to_pylist()
    with _LOCK:
        known = _ANSWERS.setdefault(vocabulary, {})
        new = [t for t in dict.fromkeys(wanted) if t not in known]
        if new:
            known.update(zip(new, resolve_new(pa.array(new, pa.string())).to_pylist()))
    return pa.array([known[t] for t in wanted], pa.string())


@cache
def _taxonomy() -> pa.Table:
    """microorganisms with its table position, so 'first row with this name' is well defined."""
    taxa = refdata_table("microorganisms").select(
        ["mo", "fullname", "kingdom", "phylum", "class", "order", "family", "genus",
         "oxygen_tolerance"])
    return taxa.append_column("pos", pa.array(np.arange(taxa.num_rows)))


def amr_candidate_keys(mos: pa.Table) -> pa.Table:
    """(mo, key) for every distinct non-null `mo` of `mos`: the keys AMR as.sir() would try."""
    wanted = [m for m in dict.fromkeys(mos.column("mo").to_pylist()) if m is not None]
    with _LOCK:
        _add_keys([m for m in wanted if m not in _KEYS])
    pairs = [(m, k) for m in wanted for k in _KEYS[m]]
    return pa.table({"mo": pa.array([p[0] for p in pairs], pa.string()),
                     "key": pa.array([p[1] for p in pairs], pa.string())})


def _add_keys(missing: list[str]) -> None:
    if missing:
        con = _taxonomy_connection().cursor()
        con.register("wanted", pa.table({"mo": pa.array(missing, pa.string())}))
        found = con.sql(_KEYS_SQL, params=_key_rules()).to_arrow_table().to_pylist()
        for m in missing:
            _KEYS[m] = []
        for row in found:
            _KEYS[row["mo"]].append(row["key"])


_LOCK = threading.Lock()

#: mo -> its breakpoint keys (a pure function of the vendored taxonomy).
_KEYS: dict[str, list[str]] = {}


@cache
def _key_rules() -> dict:
    rules = read_yaml("vocabulary.yaml")["organism_keys"]
    return {name: rules[name] for name in (
        "gram_positive_phyla", "gram_negative_classes", "gram_positive_mo",
        "anaerobe_oxygen_tolerance", "gram_negative_keys", "gram_positive_keys",
        "anaerobe_negative_keys", "anaerobe_positive_keys", "pkpd_key")}


@cache
def _taxonomy_connection() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.register("taxa_arrow", _taxonomy())
    con.execute("CREATE TABLE taxa AS SELECT * FROM taxa_arrow")
    con.execute("CREATE TABLE first_by_name AS SELECT fullname, arg_min(mo, pos) AS mo "
                "FROM taxa GROUP BY fullname")
    con.register("groups_arrow", refdata_table("microorganisms.groups"))
    con.execute("CREATE TABLE groups AS SELECT * FROM groups_arrow")
    return con


# Higher ranks are looked up by NAME, first row of that name in the taxonomy (AMR matches the
# genus/family/order/class name against `fullname`).
_KEYS_SQL = """
WITH org AS (SELECT DISTINCT t.* FROM (SELECT DISTINCT mo FROM wanted WHERE mo IS NOT NULL) w
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
