"""Organism resolution: whatever a lab wrote -> one accepted AMR `mo`, with a score and a doubt flag.

Takes an Arrow array (or list) of texts; gives a table aligned with it, schema
`amrwatch.schemas.ORGANISM_MATCH`. Each DISTINCT text is resolved once (see `match_term`), then
the answers are taken back to every position, so a million cells with 500 terms cost 500 lookups.

The order of attempts, first hit wins (docs/codes.md explains each):
 1. bad input (empty, NA markers, numbers that are no code, garbage) -> unresolved with a reason;
 2. an AMR `mo` id (`B_ESCHR_COLI`), any case;
 3. a SNOMED CT concept id, or a numeric lab code of `microorganisms.codes`;
 4. a lab / WHONET organism code (`eco`, `ESCCOL`); WHONET case rule, refdata README trap 7:
    lower case is a species code (defined by the user's imported WHONET Organisms.txt when there
    is one, else by AMR's `microorganisms.codes`); a bare UPPER-case code is read the same way (as
    AMR does), but when the same letters are also a WHONET group code meaning something else
    (`ASA`, `ALI`, `AUS`) the match is flagged uncertain with reason `ambiguous_code`;
 5. an exact name or synonym (renamed taxa followed to the accepted name);
 6. a common name or abbreviation of `data/organism_aliases.tsv` (EN/ES/PT);
 7. the name with qualifiers removed: "spp."/"sp." -> genus, "X complex" -> X (unless the complex
    itself is a taxon), an unknown subspecies -> its species, a trailing "(ESBL)" dropped;
 8. "E. coli", "K. pneumo", "Staph aureus": genus initial/prefix + epithet prefix;
 9. fuzzy (rapidfuzz) within genera that look like the first word -> always uncertain. A parasite
    genus missing from the taxonomy (data/organisms_not_in_taxonomy.tsv) is never fuzzily matched,
    so "Plasmodium falciparum" can never become a Pseudomonas (cf. AMR issue #286);
10. only the genus is known -> the genus, uncertain.
A lab's own mapping (`mapping=`) overrides all of these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import pyarrow as pa

from amrwatch.codes import fuzzy
from amrwatch.codes.data import read_terms
from amrwatch.codes.names import Match, by_abbreviation, by_name, hit, unresolved
from amrwatch.codes.taxonomy import Vocabulary, vocabulary
from amrwatch.codes.terms import (
    bad_input_reason,
    distinct,
    exact_missing_terms,
    fold,
    looks_numeric,
)
from amrwatch.codes.traits import traits
from amrwatch.schemas import ORGANISM_MATCH

#: Reasons a row can carry (closed set, documented in docs/codes.md).
REASONS = (
    "resolved", "renamed", "alias", "abbreviation", "genus_from_spp", "complex_to_species",
    "subspecies_to_species", "qualifier_removed", "ambiguous_code", "ambiguous_name",
    "ambiguous_abbreviation", "genus_only", "fuzzy", "unresolved_missing", "unresolved_empty",
    "unresolved_too_long", "unresolved_invalid", "unresolved_number", "unresolved_not_organism",
    "unresolved_not_in_taxonomy", "unresolved_unknown", "mapped", "doubtful",
)


@cache
def case_collisions() -> frozenset[str]:
    """Upper-case codes that WHONET also uses as a group code of another meaning (trap 7)."""
    return frozenset(row["code"] for row in read_terms("whonet_case_collisions.tsv"))


@cache
def not_in_taxonomy() -> frozenset[str]:
    """Folded genus names of human parasites absent from the AMR 3.0.0 taxonomy."""
    return frozenset(fold(row["genus"]) for row in read_terms("organisms_not_in_taxonomy.tsv"))


@dataclass(frozen=True)
class WhonetContext:
    """What the user's imported WHONET tables add: group codes that collide with species codes
    (trap 7) and WHONET's own definition of each lower-case species code (code -> accepted mo)."""

    collisions: frozenset[str] = frozenset()
    species: dict[str, str] = field(default_factory=dict, compare=False, hash=False)


NO_WHONET = WhonetContext()


def match_term(text: str | None, whonet: WhonetContext = NO_WHONET, fuzzy_ok: bool = True) -> Match:
    """Resolve one distinct text (steps 1-10 of the module docstring)."""
    reason = bad_input_reason(text)
    vocab = vocabulary()
    if reason is not None and not _is_code_not_marker(text, vocab):
        return unresolved(reason)
    term = text.strip()  # type: ignore[union-attr]
    found = _by_whonet_code(term, whonet) or _by_identifier(term, vocab, whonet.collisions | case_collisions())
    if found is None:
        found = by_name(fold(term), vocab, depth=0)
    if found is not None:
        return found
    if looks_numeric(term):
        return unresolved("unresolved_number")
    return _fallback(fold(term), vocab, fuzzy_ok)


def _is_code_not_marker(text: str | None, vocab: Vocabulary) -> bool:
    """"NAN" and "nan" are lab codes (Nannizzia in WHONET); "NaN" as written is a missing value:
    a marker wins only when the cell matches it letter for letter, case included."""
    if not text or text.strip() in exact_missing_terms():
        return False
    return text.strip().upper() in vocab.codes


def _by_whonet_code(term: str, whonet: WhonetContext) -> Match | None:
    """A lower-case code defined by the user's WHONET Organisms.txt (WHONET is the authority)."""
    if not term.islower() or not whonet.species:
        return None
    mo = whonet.species.get(term)
    return Match(mo, 1.0, False, "whonet", "resolved") if mo else None


def _by_identifier(term: str, vocab: Vocabulary, collisions: frozenset[str]) -> Match | None:
    upper = term.upper()
    if upper in vocab.rows:
        return hit(vocab, upper, 1.0, "mo")
    if term.isdigit():
        if term in vocab.snomed:
            return hit(vocab, vocab.snomed[term], 1.0, "snomed")
        if term in vocab.codes:
            return hit(vocab, vocab.codes[term], 1.0, "code")
        return None
    if upper in vocab.codes:
        mo = vocab.codes[upper]
        if term.isupper() and upper in collisions:
            return Match(mo, 0.5, True, "code", "ambiguous_code")
        return hit(vocab, mo, 1.0, "code")
    return None


def _fallback(key: str, vocab: Vocabulary, fuzzy_ok: bool) -> Match:
    words = key.split(" ")
    if words[0] in not_in_taxonomy():
        return unresolved("unresolved_not_in_taxonomy")
    found = by_abbreviation(key, vocab)
    if found is not None:
        return found
    suggestion = fuzzy.suggest_organism(key) if fuzzy_ok else None
    if suggestion is not None:
        mo, similarity = suggestion
        return Match(vocab.accepted[mo], round(0.9 * similarity, 3), True, "fuzzy", "fuzzy")
    if words[0] in vocab.genera and len(words) > 1:
        return Match(vocab.genera[words[0]], 0.5, True, "name", "genus_only")
    return unresolved("unresolved_unknown")


def _matches_table(texts: list[str | None], matches: list[Match]) -> pa.Table:
    rows = [traits(m.code) if m.code else {} for m in matches]
    columns = {
        "input": texts,
        "mo": [m.code for m in matches],
        "fullname": [r.get("fullname") for r in rows],
        "rank": [r.get("rank") for r in rows],
        "kingdom": [r.get("kingdom") for r in rows],
        "genus": [r.get("genus") for r in rows],
        "family": [r.get("family") for r in rows],
        "order": [r.get("order") for r in rows],
        "gram_stain": [r.get("gram_stain") for r in rows],
        "anaerobe": [r.get("anaerobe") for r in rows],
        "score": [m.score for m in matches],
        "uncertain": [m.uncertain for m in matches],
        "matched_on": [m.matched_on for m in matches],
        "reason": [m.reason for m in matches],
    }
    return pa.table(columns, schema=ORGANISM_MATCH)


def resolve_organisms(values: object, *, whonet: object = "auto",
                      mapping: dict[str, str] | None = None,
                      columns: list[str] | None = None) -> pa.Table:
    """Resolve organism texts; one ORGANISM_MATCH row per input value, in input order.

    `columns` keeps only those ORGANISM_MATCH columns: each distinct text is resolved once and
    its answer taken to every input value, which for a million values costs more per column
    than the resolving itself.
    `whonet` = "auto" uses the user's imported WHONET tables, if any: their lower-case species
    codes (WHONET's own definition wins over AMR's code table) and the upper-case codes that
    WHONET also uses as group codes; None ignores them; or pass a `WhonetTables`.
    `mapping` = a lab's own {term: code or name} (see `amrwatch.codes.mapping`), applied first.
    """
    from amrwatch.codes.mapping import apply_mapping

    texts, indices = distinct(values)
    context = whonet_context(whonet)
    allowed = fuzzy.budget(indices, len(texts))
    matches = [match_term(text, context, ok) for text, ok in zip(texts, allowed, strict=True)]
    matches = apply_mapping(texts, matches, mapping, lambda target: match_term(target, context))
    table = _matches_table(texts, matches)
    return (table if columns is None else table.select(columns)).take(indices)


def whonet_context(whonet: object) -> WhonetContext:
    if whonet is None:
        return NO_WHONET
    if whonet == "auto":
        from amrwatch.refdata import whonet as whonet_module

        whonet = whonet_module.load()
        if whonet is None:
            return NO_WHONET
    from amrwatch.codes.whonet_map import species_codes

    return WhonetContext(whonet.case_collisions(), dict(species_codes(whonet)))  # type: ignore[attr-defined]
