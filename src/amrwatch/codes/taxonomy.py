"""The organism vocabulary: AMR taxonomy indexed by name, code and SNOMED id, renames followed.

Takes the vendored AMR 3.0.0 tables `microorganisms` and `microorganisms.codes` (built once, on
first use, in well under a second); gives `vocabulary()`, whose dictionaries map folded names,
upper-cased lab/WHONET codes, AMR `mo` ids and SNOMED CT ids to the ACCEPTED `mo`.
Renamed taxa (status "synonym") are followed through `lpsn_renamed_to`, then `gbif_renamed_to`,
then `mycobank_renamed_to` (refdata README trap 13) until an accepted row is reached.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import pyarrow as pa

from amrwatch.codes.terms import fold
from amrwatch.refdata import table

#: Where a synonym points: (renamed_to column, id column it refers to), tried in this order.
RENAME_LINKS = (("lpsn_renamed_to", "lpsn"), ("gbif_renamed_to", "gbif"),
                ("mycobank_renamed_to", "mycobank"))


#: The microorganisms columns resolution and properties use (the rest stay on disk).
COLUMNS = ("mo", "fullname", "status", "kingdom", "phylum", "class", "order", "family", "genus",
           "species", "subspecies", "rank", "oxygen_tolerance", "lpsn", "lpsn_renamed_to", "gbif",
           "gbif_renamed_to", "mycobank", "mycobank_renamed_to", "prevalence", "snomed")


@dataclass
class Vocabulary:
    """Lookup tables of the organism resolver; all values are accepted `mo` ids."""

    rows: dict[str, dict]  # mo -> microorganisms row
    accepted: dict[str, str]  # any mo -> accepted mo
    names: dict[str, list[str]]  # folded fullname -> mo ids (accepted first, then by prevalence)
    codes: dict[str, str] = field(default_factory=dict)  # upper-cased lab/WHONET code -> mo
    snomed: dict[str, str] = field(default_factory=dict)  # SNOMED CT concept id -> mo
    genera: dict[str, str] = field(default_factory=dict)  # folded genus name -> genus mo
    # (genus initial, first 3 letters of epithet) -> [(genus, epithet, mo, prevalence)], for "E. coli"
    species: dict[tuple[str, str], list[tuple[str, str, str, float]]] = field(default_factory=dict)

    def row(self, mo: str) -> dict:
        return self.rows[mo]


def _accepted_map(rows: dict[str, dict]) -> dict[str, str]:
    by_id: dict[str, dict[str, str]] = {column: {} for _, column in RENAME_LINKS}
    for mo, row in rows.items():
        for _, column in RENAME_LINKS:
            if row[column] is not None and row["status"] != "synonym":
                by_id[column].setdefault(row[column], mo)
    accepted = {}
    for mo in rows:
        accepted[mo] = _follow(mo, rows, by_id)
    return accepted


def _follow(mo: str, rows: dict[str, dict], by_id: dict[str, dict[str, str]]) -> str:
    current = mo
    for _ in range(10):  # rename chains are short; the bound guards against cycles
        row = rows[current]
        if row["status"] != "synonym":
            return current
        target = next(
            (by_id[column].get(row[link]) for link, column in RENAME_LINKS
             if row[link] is not None and by_id[column].get(row[link])),
            None,
        )
        if target is None:
            return current
        current = target
    return current


def _preference(rows: dict[str, dict], mo: str) -> tuple:
    row = rows[mo]
    return (row["status"] != "accepted", row["prevalence"] or 9.0, mo)


@cache
def vocabulary() -> Vocabulary:
    """Build (once per process) every organism lookup from the vendored AMR tables."""
    data: pa.Table = table("microorganisms").select(list(COLUMNS))
    rows = {row["mo"]: row for row in data.to_pylist()}
    accepted = _accepted_map(rows)
    names: dict[str, list[str]] = {}
    for mo, row in rows.items():
        names.setdefault(fold(row["fullname"]), []).append(mo)
    for mos in names.values():
        mos.sort(key=lambda mo: _preference(rows, mo))
    vocab = Vocabulary(rows=rows, accepted=accepted, names=names)
    for code, mo in zip(*table("microorganisms.codes").to_pydict().values(), strict=True):
        vocab.codes.setdefault(code.upper(), accepted[mo])
    for mo, row in sorted(rows.items(), key=lambda item: _preference(rows, item[0])):
        if row["snomed"]:
            for concept in row["snomed"].split("|"):
                vocab.snomed.setdefault(concept, accepted[mo])
        if row["rank"] == "genus":  # accepted genera come first (sorted), synonyms fill gaps
            vocab.genera.setdefault(fold(row["genus"]), accepted[mo])
        elif row["rank"] == "species" and row["status"] != "synonym" and row["genus"] and row["species"]:
            genus, epithet = fold(row["genus"]), fold(row["species"])
            vocab.species.setdefault((genus[:1], epithet[:3]), []).append(
                (genus, epithet, mo, row["prevalence"])
            )
    return vocab
