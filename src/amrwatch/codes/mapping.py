"""A lab's own mapping of terms to codes, written by a data manager from the review queue.

Takes a TSV/CSV/Parquet file with columns `term` and `maps_to` (an AMR code or any text that
resolves with certainty, e.g. a scientific name; blank = not mapped yet), as written by
`amrwatch codes review FILE --template OUT.tsv`; gives a dict applied before every other rule
(`matched_on` "mapping", reason "mapped"). Terms match ignoring case, accents and extra spaces.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyarrow as pa

from amrwatch.codes.names import Match
from amrwatch.codes.terms import fold
from amrwatch.errors import ConfigurationError, InputError

TEMPLATE_COLUMNS = ("term", "count", "reason", "became", "suggestions", "maps_to")


def read_mapping(path: Path) -> dict[str, str]:
    """term -> maps_to for every row whose maps_to is filled in."""
    from amrwatch.tables import read_table

    data = read_table(Path(path))
    missing = [c for c in ("term", "maps_to") if c not in data.column_names]
    if missing:
        raise InputError("The mapping file lacks columns", {"file": str(path), "missing": ", ".join(missing)},
                         hint="start from `amrwatch codes review FILE --template OUT.tsv`")
    return {term: target.strip() for term, target in
            zip(data["term"].to_pylist(), data["maps_to"].to_pylist(), strict=True)
            if term is not None and target and target.strip()}


def apply_mapping(texts: list[str | None], matches: list[Match], mapping: dict[str, str] | None,
                  resolve_one: Callable[[str], Match]) -> list[Match]:
    """Replace the matches of mapped terms; a target that does not resolve surely is an error."""
    if not mapping:
        return matches
    targets = {fold(str(term)): (term, target) for term, target in mapping.items()}
    result = list(matches)
    for position, text in enumerate(texts):
        hit = targets.get(fold(text)) if text else None
        if hit is None:
            continue
        found = resolve_one(hit[1])
        if found.code is None or found.uncertain:
            raise ConfigurationError(
                "A mapping target does not name one code with certainty",
                {"term": hit[0], "maps_to": hit[1], "became": found.code, "reason": found.reason},
                hint="write an AMR code (e.g. B_ESCHR_COLI, AMC) or the full scientific name",
            )
        result[position] = Match(found.code, 1.0, False, "mapping", "mapped")
    return result


def write_template(rows: list[dict], path: Path) -> None:
    """The review queue as a file to fill in: one row per term, `maps_to` left blank."""
    from amrwatch.tables import write_table

    columns = {
        "term": [row["term"] for row in rows],
        "count": [row["count"] for row in rows],
        "reason": [row["reason"] for row in rows],
        "became": [f"{row['code']} {row['name']}" if row["code"] else None for row in rows],
        "suggestions": ["; ".join(f"{s['code']} {s['name']}" for s in row["suggestions"]) or None
                        for row in rows],
        "maps_to": [None] * len(rows),
    }
    write_table(pa.table(columns), Path(path))
