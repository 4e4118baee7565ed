"""The antimicrobial vocabulary: AMR `antimicrobials` indexed by code, ATC, LOINC and name (EN/ES/PT).

Takes the vendored AMR 3.0.0 `antimicrobials` table plus `data/whonet_antimicrobial_codes.tsv`
(trap 8) and `data/antimicrobial_names_es_pt.tsv`; gives `drug_vocabulary()` with one dictionary
per kind of identifier, each mapping to a list of AMR `ab` codes (more than one = ambiguous).
Names are compared by `drug_key`, which ignores case, accents, "acid"/"ácido" and the separator
of a combination, so "amoxicilina/ác. clavulánico" and "Amoxicillin + clavulanic acid" meet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from amrwatch.codes.data import read_terms
from amrwatch.codes.terms import fold
from amrwatch.refdata import table

#: Words that carry no identity in a drug name ("clavulanic acid" = "ácido clavulánico").
_NOISE = re.compile(r"\b(acid|acido|ac|sodium|sodico|sodica|sodio|potassium|potasico|potassio|"
                    r"disodium|de|of)\b\.?")
#: Separators of combination drugs: "/", "+", "-", " y ", " e ", " and ", " con ", " com ".
_SEPARATOR = re.compile(r"\s*(?:/|\+|\band\b|\bwith\b|\bcon\b|\bcom\b|\by\b|\be\b|-|,)\s*")
_PUNCT = re.compile(r"[^a-z0-9/ ]+")


def drug_key(text: str) -> str:
    """'Amoxicilina/ác. Clavulánico' -> 'amoxicilina/clavulanico' (components keep their order)."""
    parts = [_component(part) for part in _SEPARATOR.split(fold(text))]
    return "/".join(part for part in parts if part)


def _component(part: str) -> str:
    part = _NOISE.sub(" ", part)
    return " ".join(_PUNCT.sub(" ", part).split())


@dataclass
class DrugVocabulary:
    rows: dict[str, dict]  # ab -> antimicrobials row
    whonet: dict[str, str]  # WHONET code whose AMR code differs -> AMR ab (trap 8)
    whonet_names: dict[str, str]  # AMR ab of a WHONET-only drug -> its name
    atc: dict[str, list[str]] = field(default_factory=dict)
    loinc: dict[str, list[str]] = field(default_factory=dict)
    names: dict[str, list[str]] = field(default_factory=dict)  # drug_key of name / ES / PT name
    synonyms: dict[str, list[str]] = field(default_factory=dict)  # trade names
    abbreviations: dict[str, list[str]] = field(default_factory=dict)
    combinations: dict[frozenset[str], str] = field(default_factory=dict)  # component abs -> ab


def _add(index: dict[str, list[str]], key: str, ab: str) -> None:
    if key and ab not in index.setdefault(key, []):
        index[key].append(ab)


def _split(value: str | None) -> list[str]:
    return [item for item in (value or "").split("|") if item]


@cache
def drug_vocabulary() -> DrugVocabulary:
    """Build (once per process) every antimicrobial lookup."""
    rows = {row["ab"]: row for row in table("antimicrobials").to_pylist()}
    exceptions = read_terms("whonet_antimicrobial_codes.tsv")
    vocab = DrugVocabulary(
        rows=rows,
        whonet={row["whonet"]: row["ab"] for row in exceptions},
        whonet_names={row["ab"]: row["whonet_name"] for row in exceptions if row["ab"] not in rows},
    )
    for ab, row in rows.items():
        _add(vocab.names, drug_key(row["name"]), ab)
        for atc in _split(row["atc"]):
            _add(vocab.atc, atc.upper(), ab)
        for loinc in _split(row["loinc"]):
            _add(vocab.loinc, loinc, ab)
        for synonym in _split(row["synonyms"]):
            _add(vocab.synonyms, drug_key(synonym), ab)
        for abbreviation in _split(row["abbreviations"]):
            _add(vocab.abbreviations, fold(abbreviation), ab)
    for row in read_terms("antimicrobial_names_es_pt.tsv"):
        _add(vocab.names, drug_key(row["name"]), row["ab"])
    _index_combinations(vocab)
    return vocab


def _index_combinations(vocab: DrugVocabulary) -> None:
    """'Amoxicillin/clavulanic acid' -> {AMX, CLA1}: lets any language's components meet."""
    for ab, row in vocab.rows.items():
        parts = drug_key(row["name"]).split("/")
        if len(parts) < 2:
            continue
        components = [single_drug(part, vocab) for part in parts]
        if all(components):
            vocab.combinations.setdefault(frozenset(components), ab)  # type: ignore[arg-type]


def single_drug(key: str, vocab: DrugVocabulary) -> str | None:
    """The one `ab` whose name (any language) is exactly `key`, or None."""
    found = vocab.names.get(key)
    return found[0] if found and len(found) == 1 else None
