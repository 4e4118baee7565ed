"""What breakpoint lookup needs to know about one accepted organism: taxonomy, Gram stain, anaerobe.

Takes an accepted AMR `mo`; gives a dict of its taxonomy names plus `gram_stain` and `anaerobe`,
derived with the rules of `data/gram_stain.yaml` (phylum/class lists and oxygen tolerance values,
with their source). Cached per `mo`.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from amrwatch.codes.data import read_yaml
from amrwatch.codes.taxonomy import Taxon, vocabulary

_UNKNOWN = "(unknown"  # AMR fills missing ranks of pseudo-taxa with "(unknown genus)" etc.


@cache
def gram_rules() -> dict[str, Any]:
    return read_yaml("gram_stain.yaml")


def gram_stain(row: Taxon) -> str | None:
    """'Gram-positive' / 'Gram-negative' for bacteria, None for everything else."""
    rules = gram_rules()
    if row["mo"] in rules["gram_positive_mo"]:
        return "Gram-positive"
    if row["mo"] in rules["gram_negative_mo"]:
        return "Gram-negative"
    if row["kingdom"] != "Bacteria" or row["mo"] in rules["gram_unknown_mo"]:
        return None
    if row["class"] in rules["gram_negative_classes"]:
        return "Gram-negative"
    if row["phylum"] in rules["gram_positive_phyla"]:
        return "Gram-positive"
    return "Gram-negative"


def is_anaerobe(row: Taxon) -> bool:
    rules = gram_rules()
    return row["mo"] in rules["anaerobe_mo"] or row["oxygen_tolerance"] in rules["anaerobe_oxygen_tolerance"]


def _known(value: str | None) -> str | None:
    return None if value is None or value.startswith(_UNKNOWN) else value


@cache
def traits(mo: str) -> dict[str, Any]:
    """Taxonomy, Gram stain and anaerobe flag of one `mo` (any status; no renaming here)."""
    row = vocabulary().row(mo)
    taxonomy = {rank: _known(row[rank]) for rank in
                ("kingdom", "phylum", "class", "order", "family", "genus", "species", "subspecies")}
    return {
        "mo": mo,
        "fullname": row["fullname"],
        "rank": _known(row["rank"]),
        **taxonomy,
        "gram_stain": gram_stain(row),
        "anaerobe": is_anaerobe(row) if row["kingdom"] == "Bacteria" else None,
        "oxygen_tolerance": row["oxygen_tolerance"],
        "prevalence": row["prevalence"],
    }
