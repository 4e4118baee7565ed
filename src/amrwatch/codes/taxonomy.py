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
from typing import Any

from amrwatch.codes.terms import fold
from amrwatch.refdata import table

#: Where a synonym points: (renamed_to column, id column it refers to), tried in this order.
RENAME_LINKS = (("lpsn_renamed_to", "lpsn"), ("gbif_renamed_to", "gbif"),
                ("mycobank_renamed_to", "mycobank"))


#: The microorganisms columns resolution and properties use (the rest stay on disk).
COLUMNS = ("mo", "fullname", "status", "kingdom", "phylum", "class", "order", "family", "genus",
           "species", "subspecies", "rank", "oxygen_tolerance", "prevalence")
_BUILD_ONLY = ("lpsn", "lpsn_renamed_to", "gbif", "gbif_renamed_to", "mycobank",
               "mycobank_renamed_to", "snomed")


class Taxon:
    """One microorganisms row, read like a dict (`taxon["genus"]`) but a fraction of its memory:
    78,679 of them stay in memory for the life of a process."""

    __slots__ = COLUMNS

    def __getitem__(self, column: str) -> Any:
        return getattr(self, column)


@dataclass
class Vocabulary:
    """Lookup tables of the organism resolver; all values are accepted `mo` ids."""

    rows: dict[str, Taxon]  # mo -> microorganisms row
    accepted: dict[str, str]  # any mo -> accepted mo
    names: dict[str, list[str]]  # folded fullname -> mo ids (accepted first, then by prevalence)
    codes: dict[str, str] = field(default_factory=dict)  # upper-cased lab/WHONET code -> mo
    snomed: dict[str, str] = field(default_factory=dict)  # SNOMED CT concept id -> mo
    genera: dict[str, str] = field(default_factory=dict)  # folded genus name -> genus mo
    # (genus initial, first 3 letters of epithet) -> [(genus, epithet, mo, prevalence)], for "E. coli"
    species: dict[tuple[str, str], list[tuple[str, str, str, float]]] = field(default_factory=dict)

    def row(self, mo: str) -> Taxon:
        return self.rows[mo]


def _taxa(columns: dict[str, list]) -> dict[str, Taxon]:
    shared: dict[object, object] = {}  # one object per distinct value: ranks repeat 78,679 times
    rows = {}
    for values in zip(*(columns[name] for name in COLUMNS), strict=True):
        taxon = Taxon()
        for name, value in zip(COLUMNS, values, strict=True):
            setattr(taxon, name, shared.setdefault(value, value))
        rows[taxon["mo"]] = taxon
    return rows


def _accepted_map(columns: dict[str, list]) -> dict[str, str]:
    mos, status = columns["mo"], columns["status"]
    by_id: dict[str, dict[str, str]] = {column: {} for _, column in RENAME_LINKS}
    for _, column in RENAME_LINKS:
        for mo, state, key in zip(mos, status, columns[column], strict=True):
            if key is not None and state != "synonym":
                by_id[column].setdefault(key, mo)
    links = {mo: [by_id[column].get(row_link) for link, column in RENAME_LINKS
                  if (row_link := columns[link][i]) is not None]
             for i, (mo, state) in enumerate(zip(mos, status, strict=True)) if state == "synonym"}
    return {mo: _follow(mo, links) for mo in mos}


def _follow(mo: str, links: dict[str, list[str | None]]) -> str:
    current = mo
    for _ in range(10):  # rename chains are short; the bound guards against cycles
        target = next((t for t in links.get(current, []) if t), None)
        if target is None:
            return current
        current = target
    return current


def _preference(rows: dict[str, Taxon], mo: str) -> tuple:
    row = rows[mo]
    return (row["status"] != "accepted", row["prevalence"] or 9.0, mo)


@cache
def vocabulary() -> Vocabulary:
    """Build (once per process) every organism lookup from the vendored AMR tables."""
    columns = table("microorganisms").select(list(COLUMNS + _BUILD_ONLY)).to_pydict()
    rows = _taxa(columns)
    accepted = _accepted_map(columns)
    names: dict[str, list[str]] = {}
    for mo, row in rows.items():
        names.setdefault(fold(row["fullname"]), []).append(mo)
    for mos in names.values():
        mos.sort(key=lambda mo: _preference(rows, mo))
    vocab = Vocabulary(rows=rows, accepted=accepted, names=names)
    for code, mo in zip(*table("microorganisms.codes").to_pydict().values(), strict=True):
        vocab.codes.setdefault(code.upper(), accepted[mo])
    snomed = dict(zip(columns["mo"], columns["snomed"], strict=True))
    for mo, row in sorted(rows.items(), key=lambda item: _preference(rows, item[0])):
        for concept in (snomed[mo] or "").split("|"):
            if concept:
                vocab.snomed.setdefault(concept, accepted[mo])
        if row["rank"] == "genus":  # accepted genera come first (sorted), synonyms fill gaps
            vocab.genera.setdefault(fold(row["genus"]), accepted[mo])
        elif row["rank"] == "species" and row["status"] != "synonym" and row["genus"] and row["species"]:
            genus, epithet = fold(row["genus"]), fold(row["species"])
            vocab.species.setdefault((genus[:1], epithet[:3]), []).append(
                (genus, epithet, mo, row["prevalence"])
            )
    return vocab
