"""Organism names: exact names and synonyms, aliases, names with qualifiers, abbreviations.

Takes a folded term (see `terms.fold`); gives a `Match` or None. Used by `organisms.match_term`
for steps 5-8 of its order: exact name (renames followed), alias (data/organism_aliases.tsv), the
name stripped of a qualifier ("spp.", "complex", "subsp.", "(ESBL)", ", ETEC", a serovar), and
genus-initial abbreviations ("E. coli", "K. pneumo").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from amrwatch.codes.data import read_terms
from amrwatch.codes.taxonomy import Vocabulary
from amrwatch.codes.terms import fold

_SPP = re.compile(r"^(.+?)\s+(spp?|species|sp\.?p\.?)\.?$")
_COMPLEX = re.compile(r"^(?:(?:complejo|complexo)\s+(.+)|(.+?)\s+(?:complex|complejo|complexo|group|grupo|cplx))$")
# Infraspecific markers: "ss.", "subsp.", "var.", "biovar", "biotype", "serovar", "pathovar".
_SUBSP = re.compile(r"\s+(?:subsp|ssp|ss|subspecies|subesp|var|biovar|bv|biotype|biotipo|serovar|"
                    r"serotype|serotipo|sv|pathovar|pv)\.?\s+")
_SEROVAR = re.compile(r"\s+(?:serovar|serotype|serotipo|sv)\.?\s+")
_PARENS = re.compile(r"\s*[\(\[].*?[\)\]]\s*")
_SPECIFIC_RANKS = ("species", "subspecies", "species group")
_ABBREVIATION = re.compile(r"^([a-z]+)(?:\.\s*|\s+)([a-z][a-z-]+)\.?$")


@dataclass(frozen=True)
class Match:
    """What one distinct text became."""

    code: str | None  # accepted AMR mo or ab code
    score: float
    uncertain: bool
    matched_on: str | None
    reason: str


def unresolved(reason: str) -> Match:
    return Match(None, 0.0, False, None, reason)


@cache
def aliases() -> dict[str, str]:
    """Folded common name / abbreviation -> name or mo it stands for (data/organism_aliases.tsv)."""
    return {fold(row["term"]): row["organism"] for row in read_terms("organism_aliases.tsv")}


def hit(vocab: Vocabulary, mo: str, score: float, matched_on: str, reason: str = "resolved") -> Match:
    accepted = vocab.accepted[mo]
    if accepted != mo and reason == "resolved":
        reason = "renamed"
    return Match(accepted, score, False, matched_on, reason)


def by_name(key: str, vocab: Vocabulary, depth: int) -> Match | None:
    """Exact name, alias, then the name stripped of a qualifier (recursing at most twice)."""
    candidates = vocab.names.get(key) or vocab.names.get(key.replace(".", ""))
    if candidates:
        return _from_candidates(vocab, candidates)
    alias = aliases().get(key)
    if alias is not None:
        inner = hit(vocab, alias, 0.95, "alias", "alias") if alias in vocab.rows else \
            by_name(fold(alias), vocab, depth + 1)
        return inner and Match(inner.code, 0.95, inner.uncertain, "alias", "alias")
    if depth == 1:  # a stripped form may be an abbreviation: "E. coli (ESBL)", "E. coli?"
        found = by_abbreviation(key, vocab)
        if found is not None:
            return found
    if depth >= 2:
        return None
    return _by_stripped_name(key, vocab, depth)


def _from_candidates(vocab: Vocabulary, candidates: list[str]) -> Match:
    first = candidates[0]
    matched_on = "synonym" if vocab.row(first)["status"] == "synonym" else "name"
    targets = {vocab.accepted[mo] for mo in candidates if _rank_key(vocab, mo) == _rank_key(vocab, first)}
    if len(targets) > 1:  # the same name in two kingdoms with equal standing
        return Match(vocab.accepted[first], 0.6, True, matched_on, "ambiguous_name")
    return hit(vocab, first, 1.0, matched_on)


def _rank_key(vocab: Vocabulary, mo: str) -> tuple:
    row = vocab.row(mo)
    return (row["status"] == "synonym", row["prevalence"])


def _by_stripped_name(key: str, vocab: Vocabulary, depth: int) -> Match | None:
    if (spp := _SPP.match(key)) and spp.group(1) in vocab.genera:
        return hit(vocab, vocab.genera[spp.group(1)], 1.0, "name", "genus_from_spp")
    for stripped, reason in _stripped_forms(key, vocab):
        # A form marked "resolved" only respells the name: it must match exactly, or not at all.
        inner = by_name(stripped, vocab, depth=2 if reason == "resolved" else depth + 1)
        if inner is None or inner.code is None:
            continue
        if reason == "resolved":
            return inner
        # Dropping words may drop the meaning ("Staphylococcus, coagulase negative"): keep the
        # answer only when what remains is still a species; a bare genus needs a human check.
        # "E. coli?" is the lab's own doubt: keep the organism, but a human confirms it.
        vague = _rank(vocab, inner.code) not in _SPECIFIC_RANKS or reason == "doubtful"
        return Match(inner.code, 0.5 if vague else min(inner.score, 0.9),
                     inner.uncertain or vague, inner.matched_on, reason)
    return None


def _stripped_forms(key: str, vocab: Vocabulary) -> list[tuple[str, str]]:
    """Shorter forms of a name to retry, in order, with the reason each one implies."""
    forms = []
    if key.endswith("?"):
        forms.append((key.rstrip("? "), "doubtful"))
    if _PARENS.search(key):
        forms.append((_PARENS.sub(" ", key).strip(), "qualifier_removed"))
    if complex_ := _COMPLEX.match(key):
        core = complex_.group(1) or complex_.group(2)
        # "Citrobacter amalonaticus group" is AMR's "... complex"; only then fall back to X.
        forms += [(f"{core} complex", "resolved"), (core, "complex_to_species")]
    if _SUBSP.search(key):
        # "Campylobacter fetus ss. fetus" is the subspecies itself; AMR names serovars
        # "Salmonella Typhimurium" ("Salmonella enterica serovar Typhimurium"); an unknown
        # infraspecific name falls back to the species.
        forms.append((_SUBSP.sub(" ", key), "resolved"))
        if _SEROVAR.search(key):  # only serovars: "A. veronii biovar sobria" is not A. sobria
            forms.append((f"{key.split(' ')[0]} {_SEROVAR.split(key)[-1]}", "resolved"))
        forms.append((" ".join(_SUBSP.split(key)[0].split(" ")[:2]), "subspecies_to_species"))
    if "," in key:  # "Escherichia coli, enterotoxigenic (ETEC)", "Salmonella sp., nontypable"
        forms.append((key.split(",", 1)[0].strip(), "qualifier_removed"))
    words = key.split(" ")
    if len(words) >= 3 and words[0] in vocab.genera:
        # "Escherichia coli O157", "Vibrio cholerae El Tor": a species plus a type / serotype.
        epithet_like = len(words) == 3 and words[2].isalpha()  # "salmonella enterica houtenae"
        forms.append((" ".join(words[:2]), "subspecies_to_species" if epithet_like
                      else "qualifier_removed"))
    return forms


def _rank(vocab: Vocabulary, mo: str) -> str | None:
    return vocab.row(mo)["rank"]


def by_abbreviation(key: str, vocab: Vocabulary) -> Match | None:
    """'e. coli', 'k. pneumo', 'staph aureus': genus prefix + epithet prefix of a species."""
    parts = _ABBREVIATION.match(key.replace(". ", ". "))
    if parts is None or len(parts.group(2)) < 3:
        return None
    genus, epithet = parts.groups()
    pool = vocab.species.get((genus[:1], epithet[:3]), [])
    hits = [c for c in pool if c[0].startswith(genus) and c[1].startswith(epithet)]
    exact = [c for c in hits if c[1] == epithet]
    hits = exact or hits
    if not hits:
        return None
    best = min(c[3] for c in hits)
    top = {c[2] for c in hits if c[3] == best}
    mo = min(top)
    # Certain only when one clinically common species (AMR prevalence <= 1.15) fits the letters.
    if len(top) == 1 and best <= 1.15:
        return Match(vocab.accepted[mo], 0.9, False, "abbreviation", "abbreviation")
    return Match(vocab.accepted[mo], 0.6, True, "abbreviation", "ambiguous_abbreviation")
