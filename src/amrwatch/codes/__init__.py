"""Code resolution: whatever a lab wrote -> one canonical organism (`mo`) and antimicrobial (`ab`).

Takes Arrow arrays (or lists) of organism or antimicrobial texts: names in EN/ES/PT, synonyms,
abbreviations ("E. coli"), WHONET and lab codes, AMR codes, SNOMED CT, ATC and LOINC codes.
Gives tables aligned with the input (schemas in `amrwatch.schemas`): ORGANISM_MATCH /
ANTIMICROBIAL_MATCH with a score, an `uncertain` flag and a reason, and ORGANISM_PROPERTIES /
ANTIMICROBIAL_PROPERTIES with what breakpoint lookup and analysis need. Each distinct text is
resolved once, so cost grows with the vocabulary of a file, not its length. See docs/codes.md.
"""

from __future__ import annotations

from typing import Any


def resolve_organisms(values: Any, **options: Any) -> Any:
    """Aligned ORGANISM_MATCH table; see `amrwatch.codes.organisms.resolve_organisms`."""
    from amrwatch.codes.organisms import resolve_organisms as resolve

    return resolve(values, **options)


def resolve_antimicrobials(values: Any, coding: str = "auto", **options: Any) -> Any:
    """Aligned ANTIMICROBIAL_MATCH table; `coding` = "auto" | "whonet" | "amr" (trap 8)."""
    from amrwatch.codes.antimicrobials import resolve_antimicrobials as resolve

    return resolve(values, coding=coding, **options)


def organism_properties(mo_values: Any, **options: Any) -> Any:
    """Aligned ORGANISM_PROPERTIES table; see `amrwatch.codes.properties.organism_properties`."""
    from amrwatch.codes.properties import organism_properties as properties

    return properties(mo_values, **options)


def antimicrobial_properties(ab_values: Any, **options: Any) -> Any:
    """Aligned ANTIMICROBIAL_PROPERTIES table; see `amrwatch.codes.properties`."""
    from amrwatch.codes.properties import antimicrobial_properties as properties

    return properties(ab_values, **options)


__all__ = [
    "antimicrobial_properties",
    "organism_properties",
    "resolve_antimicrobials",
    "resolve_organisms",
]
