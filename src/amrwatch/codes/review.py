"""Review queue: the distinct terms of a file that did not resolve, or resolved with doubt.

Takes a table column (organism or antimicrobial texts); gives one row per distinct term that is
unresolved or uncertain, with how often it occurs, what it resolved to (if anything), why, and up
to three suggestions, most frequent first, so a data manager can write a mapping for them.
"""

from __future__ import annotations

from typing import Literal

import pyarrow as pa
import pyarrow.compute as pc

from amrwatch.codes import fuzzy
from amrwatch.codes.drugs import drug_key, drug_vocabulary
from amrwatch.codes.terms import as_text, fold
from amrwatch.errors import InputError

Kind = Literal["organism", "antimicrobial"]

#: Header names (folded) that usually hold the organism, in the languages of the region.
ORGANISM_HEADERS = ("organism", "organismo", "organisme", "microorganism", "microorganismo", "bacteria",
                    "bacteria_aislada", "germen", "mo", "org", "species", "especie")


def guess_organism_column(data: pa.Table) -> str:
    """The column most likely to hold organisms, by its header name."""
    for name in data.column_names:
        if fold(name).replace(" ", "_") in ORGANISM_HEADERS:
            return name
    raise InputError(
        "No organism column found", {"columns": ", ".join(data.column_names[:20])},
        hint="name the column with --column",
    )


def review(values: pa.Array | pa.ChunkedArray, kind: Kind = "organism",
           mapping: dict[str, str] | None = None) -> list[dict]:
    """Unresolved and uncertain distinct terms of `values` (after the lab's `mapping`), most
    frequent first."""
    counts = pc.value_counts(values.cast(pa.string()) if not pa.types.is_string(values.type) else values)
    terms = counts.field("values")
    frequency = counts.field("counts").to_pylist()
    if kind == "organism":
        from amrwatch.codes.organisms import resolve_organisms

        result = resolve_organisms(terms, mapping=mapping)
        code_column, name_column = "mo", "fullname"
    else:
        from amrwatch.codes.antimicrobials import resolve_antimicrobials

        result = resolve_antimicrobials(terms, mapping=mapping)
        code_column, name_column = "ab", "name"
    rows = []
    for count, match in zip(frequency, result.to_pylist(), strict=True):
        if match[code_column] is not None and not match["uncertain"]:
            continue
        rows.append({
            "term": match["input"], "count": count, "code": match[code_column],
            "name": match[name_column], "score": match["score"], "reason": match["reason"],
            "suggestions": suggestions(match["input"], kind),
        })
    rows.sort(key=lambda row: (-row["count"], str(row["term"])))
    return rows


def suggestions(term: str | None, kind: Kind, limit: int = 3) -> list[dict]:
    """Up to `limit` fuzzy candidates (code, name, similarity 0-1) for one term."""
    text = as_text(term)
    if not text or not text.strip():
        return []
    if kind == "organism":
        found = fuzzy.organism_candidates(fold(text), limit)
        from amrwatch.codes.taxonomy import vocabulary

        rows = vocabulary().rows
        return [{"code": mo, "name": rows[mo]["fullname"], "similarity": round(s, 3)} for mo, _, s in found]
    found = fuzzy.drug_candidates(drug_key(text), limit)
    names = drug_vocabulary().rows
    return [{"code": ab, "name": names[ab]["name"], "similarity": round(s, 3)} for ab, _, s in found]
