"""Antimicrobial resolution: a code, ATC, LOINC or name in EN/ES/PT -> one AMR `ab` code.

Takes an Arrow array (or list) of texts; gives a table aligned with it, schema
`amrwatch.schemas.ANTIMICROBIAL_MATCH`, resolving each distinct text once.

`coding` says what a bare 3-4 letter code is (refdata README trap 8):
  * "whonet": a WHONET code. WHONET STR (streptomycin) -> AMR STR1, SUD (sulbactam-durlobactam)
    -> SUD1, ROX (roxithromycin) -> RXT; every other WHONET code is the same in AMR.
  * "amr": an AMR `ab` code, taken as is (STR = streptoduocin, SUD = sulfadimethoxine).
  * "auto" (default): a WHONET test column name (`STR_ND10`, `AMP_NM`, `PEN_EE`) is WHONET coding;
    a bare code that only one system knows is read in that system; a bare code both systems use
    for DIFFERENT drugs (STR, SUD) is read as WHONET (the coding of most CELAC lab exports) but
    flagged uncertain with reason `ambiguous_code`, so a data manager confirms it or passes
    `coding`.
"""

from __future__ import annotations

import re
from functools import cache

import pyarrow as pa

from amrwatch.codes.drugs import DrugVocabulary, drug_key, drug_vocabulary, single_drug
from amrwatch.codes.names import Match, unresolved
from amrwatch.codes.terms import bad_input_reason, distinct, fold, looks_numeric
from amrwatch.errors import ConfigurationError
from amrwatch.refdata import table
from amrwatch.schemas import ANTIMICROBIAL_MATCH

CODINGS = ("auto", "whonet", "amr")

#: Reasons (closed set, docs/codes.md).
REASONS = (
    "resolved", "whonet_code", "whonet_only", "ambiguous_code", "ambiguous_name", "combination",
    "fuzzy", "unresolved_missing", "unresolved_empty", "unresolved_too_long", "unresolved_invalid",
    "unresolved_number", "unresolved_not_organism", "unresolved_unknown", "mapped",
)

# WHONET test column: drug code, "_", guideline letter, method letter, optional potency.
_WHONET_TEST = re.compile(r"^([A-Za-z0-9]{3,4})_([NEFSBDTA])([DME])([\w.]*)$", re.IGNORECASE)
_ATC = re.compile(r"^Q?[A-Z]\d\d[A-Z]{2}\d\d$")
_LOINC = re.compile(r"^\d{1,7}-\d$")
_PARENS = re.compile(r"\s*\([^)]*\)\s*")


def match_drug(text: str | None, coding: str = "auto", fuzzy_ok: bool = True) -> Match:
    """Resolve one distinct text: code, ATC, LOINC, then names, then fuzzy (always uncertain)."""
    reason = bad_input_reason(text)
    if reason is not None:
        return unresolved(reason)
    term = text.strip()  # type: ignore[union-attr]
    vocab = drug_vocabulary()
    test = _WHONET_TEST.match(term)
    if test and coding != "amr":
        return _by_code(test.group(1).upper(), "whonet", vocab) or unresolved("unresolved_unknown")
    found = _by_code(term.upper(), coding, vocab) if len(term) <= 5 else None
    found = found or _by_identifier(term.upper(), vocab) or _by_name(term, vocab)
    if found is not None:
        return found
    if looks_numeric(term):
        return unresolved("unresolved_number")
    return _by_fuzzy(term, vocab) if fuzzy_ok else unresolved("unresolved_unknown")


def _by_code(code: str, coding: str, vocab: DrugVocabulary) -> Match | None:
    in_amr = code in vocab.rows
    whonet_ab = vocab.whonet.get(code)
    if coding == "amr" or (coding == "auto" and whonet_ab is None):
        return Match(code, 1.0, False, "ab", "resolved") if in_amr else None
    if whonet_ab is None:
        return Match(code, 1.0, False, "whonet", "resolved") if in_amr else None
    reason = "whonet_only" if whonet_ab in vocab.whonet_names else "whonet_code"
    if coding == "auto" and in_amr:  # the same letters mean another drug in AMR
        return Match(whonet_ab, 0.5, True, "whonet", "ambiguous_code")
    return Match(whonet_ab, 1.0, False, "whonet", reason)


def _pick(candidates: list[str], matched_on: str, vocab: DrugVocabulary, score: float = 1.0) -> Match:
    if len(candidates) == 1:
        return Match(candidates[0], score, False, matched_on, "resolved")
    # Several drugs share an ATC or LOINC code (J01CR02 = amoxicillin + any beta-lactamase
    # inhibitor): when exactly one of them has clinical breakpoints, that is the drug labs test.
    tested = [ab for ab in candidates if ab in breakpoint_drugs()]
    if len(tested) == 1:
        return Match(tested[0], score, False, matched_on, "resolved")
    return Match((tested or candidates)[0], 0.5, True, matched_on, "ambiguous_code")


@cache
def breakpoint_drugs() -> frozenset[str]:
    """AMR `ab` codes that have at least one row in clinical_breakpoints."""
    return frozenset(table("clinical_breakpoints")["ab"].unique().to_pylist())


def _by_identifier(upper: str, vocab: DrugVocabulary) -> Match | None:
    if _ATC.match(upper) and upper in vocab.atc:
        return _pick(vocab.atc[upper], "atc", vocab)
    if _LOINC.match(upper) and upper in vocab.loinc:
        return _pick(vocab.loinc[upper], "loinc", vocab)
    return None


def _by_name(term: str, vocab: DrugVocabulary) -> Match | None:
    key = drug_key(term)
    for index, matched_on in ((vocab.names, "name"), (vocab.synonyms, "synonym")):
        if key in index:
            found = _pick(index[key], matched_on, vocab)
            return found if not found.uncertain else Match(found.code, 0.5, True, matched_on, "ambiguous_name")
    if _PARENS.search(term):  # "colistina (polimixina E)", "oxacilina (meticilina)"
        inner = _by_name(_PARENS.sub(" ", term).strip(), vocab)
        if inner is not None:
            return Match(inner.code, min(inner.score, 0.9), inner.uncertain, inner.matched_on, inner.reason)
    folded = fold(term)
    if folded in vocab.abbreviations:
        found = _pick(vocab.abbreviations[folded], "abbreviation", vocab, 0.9)
        # One- and two-letter abbreviations ("s", "ac") are too thin to accept unseen.
        short = len(folded) <= 2
        return Match(found.code, 0.6 if short else found.score, found.uncertain or short,
                     "abbreviation", found.reason if not short else "ambiguous_name")
    return _by_components(key, vocab)


def _by_components(key: str, vocab: DrugVocabulary) -> Match | None:
    """A combination named by its parts in any order or language; "ampicilina sulbactam" too."""
    parts = key.split("/") if "/" in key else key.split(" ")
    if len(parts) < 2:
        return None
    components = [single_drug(part, vocab) for part in parts]
    if not all(components):
        return None
    ab = vocab.combinations.get(frozenset(components))  # type: ignore[arg-type]
    return Match(ab, 1.0, False, "name", "combination") if ab else None


def _by_fuzzy(term: str, vocab: DrugVocabulary) -> Match:
    from amrwatch.codes.fuzzy import suggest_drug

    suggestion = suggest_drug(drug_key(term))
    if suggestion is None:
        return unresolved("unresolved_unknown")
    ab, similarity = suggestion
    return Match(ab, round(0.9 * similarity, 3), True, "fuzzy", "fuzzy")


def _main_atc(codes: str | None) -> str | None:
    """The antibacterial (J) ATC code if any, else the first human one: GEN is J01GB03, not D06AX07."""
    ranked = sorted((codes or "").split("|"), key=lambda code: (code[:1] != "J", code[:1] == "Q"))
    return ranked[0] or None


def _drug_table(texts: list[str | None], matches: list[Match]) -> pa.Table:
    vocab = drug_vocabulary()
    rows = [vocab.rows.get(m.code or "") or {} for m in matches]
    return pa.table(
        {
            "input": texts,
            "ab": [m.code for m in matches],
            "name": [r.get("name") or vocab.whonet_names.get(m.code or "") for r, m in zip(rows, matches)],
            "drug_class": [r.get("group") for r in rows],
            "atc": [_main_atc(r.get("atc")) for r in rows],
            "score": [m.score for m in matches],
            "uncertain": [m.uncertain for m in matches],
            "matched_on": [m.matched_on for m in matches],
            "reason": [m.reason for m in matches],
        },
        schema=ANTIMICROBIAL_MATCH,
    )


def resolve_antimicrobials(values: object, *, coding: str = "auto",
                           mapping: dict[str, str] | None = None) -> pa.Table:
    """Resolve antimicrobial texts; one ANTIMICROBIAL_MATCH row per input value, in input order.

    `mapping` = a lab's own {term: code or name} (see `amrwatch.codes.mapping`), applied first.
    """
    from amrwatch.codes.mapping import apply_mapping

    if coding not in CODINGS:
        raise ConfigurationError(
            f"Unknown antimicrobial coding {coding!r}", {"coding": coding},
            hint="use one of: " + ", ".join(CODINGS),
        )
    texts, indices = distinct(values)
    from amrwatch.codes.fuzzy import budget

    allowed = budget(indices, len(texts))
    matches = [match_drug(text, coding, ok) for text, ok in zip(texts, allowed, strict=True)]
    matches = apply_mapping(texts, matches, mapping, lambda target: match_drug(target, coding))
    return _drug_table(texts, matches).take(indices)
