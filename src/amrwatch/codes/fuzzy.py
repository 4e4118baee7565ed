"""Fuzzy suggestions (rapidfuzz) for terms no exact rule resolved. A suggestion is never certain.

Takes a folded term; gives candidate (mo, name, similarity 0-1). Organism candidates are searched
only inside genera whose name looks like the term's first word (ratio >= GENUS_SIMILARITY), so a
misspelt species stays in its genus and an unknown genus cannot drift into a different kingdom
(AMR issue #286: "Plasmodium falciparum" became a Pseudomonas).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pyarrow as pa
from rapidfuzz import fuzz, process

from amrwatch.codes.taxonomy import vocabulary

#: Minimum similarity (0-100) of the first word to a genus name, and of the whole term to a name.
GENUS_SIMILARITY = 85
NAME_SIMILARITY = 80
#: Fuzzy matching costs ~0.1-1 ms a term: in one call, only this many distinct terms (the most
#: frequent) get it, so a mis-mapped free-text column cannot stall an upload; the rest come back
#: unresolved, which the review queue lists anyway.
FUZZY_BUDGET = 5_000


def budget(indices: pa.Array, distinct: int) -> list[bool]:
    """Which distinct terms (by position in the dictionary) may be fuzzily matched."""
    if distinct <= FUZZY_BUDGET:
        return [True] * distinct
    positions = indices.drop_null().to_numpy(zero_copy_only=False)
    counts = np.bincount(positions, minlength=distinct)
    allowed = np.zeros(distinct, dtype=bool)
    allowed[np.argsort(-counts, kind="stable")[:FUZZY_BUDGET]] = True
    return allowed.tolist()


@cache
def _names_by_genus() -> dict[str, dict[str, str]]:
    """Folded genus -> {folded full name: mo} for every name starting with that genus."""
    vocab = vocabulary()
    grouped: dict[str, dict[str, str]] = {}
    for name, mos in vocab.names.items():
        grouped.setdefault(name.split(" ", 1)[0], {})[name] = mos[0]
    return grouped


def organism_candidates(key: str, limit: int = 3) -> list[tuple[str, str, float]]:
    """Best `limit` (mo, name, similarity) for a folded organism term, best first."""
    vocab = vocabulary()
    first = key.split(" ", 1)[0]
    if first in vocab.genera:
        genera = [first]
    else:
        genera = [g for g, _, _ in process.extract(
            first, list(vocab.genera), scorer=fuzz.ratio, score_cutoff=GENUS_SIMILARITY, limit=5)]
    pool: dict[str, str] = {}
    for genus in genera:
        pool.update(_names_by_genus().get(genus, {}))
    found = process.extract(key, list(pool), scorer=fuzz.ratio, score_cutoff=NAME_SIMILARITY,
                            limit=limit)
    return [(pool[name], name, score / 100) for name, score, _ in found]


def suggest_organism(key: str) -> tuple[str, float] | None:
    """The single best fuzzy organism for a folded term, or None."""
    found = organism_candidates(key, limit=1)
    return (found[0][0], found[0][2]) if found else None


@cache
def _drug_names() -> dict[str, str]:
    from amrwatch.codes.drugs import drug_vocabulary

    vocab = drug_vocabulary()
    pool = {key: abs_[0] for key, abs_ in vocab.synonyms.items() if len(abs_) == 1}
    pool.update({key: abs_[0] for key, abs_ in vocab.names.items() if len(abs_) == 1})
    return pool


def drug_candidates(key: str, limit: int = 3) -> list[tuple[str, str, float]]:
    """Best `limit` (ab, name, similarity) for a drug key (see `drugs.drug_key`), best first."""
    pool = _drug_names()
    found = process.extract(key, list(pool), scorer=fuzz.ratio, score_cutoff=NAME_SIMILARITY,
                            limit=limit)
    return [(pool[name], name, score / 100) for name, score, _ in found]


def suggest_drug(key: str) -> tuple[str, float] | None:
    found = drug_candidates(key, limit=1)
    return (found[0][0], found[0][2]) if found else None
