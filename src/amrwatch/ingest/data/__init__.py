"""Versioned ingest data: WHONET field names, code maps, value ranges, reason codes.

Each TSV starts with `#` lines giving source, version and licence (the convention of
`amrwatch.codes.data`); `rows(name)` returns its rows as dicts, cached. Nothing is read at import.
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources

from amrwatch.errors import ReferenceDataError


@cache
def rows(name: str) -> tuple[dict[str, str], ...]:
    """Rows of a TSV data file of this folder, skipping its `#` provenance header."""
    path = resources.files("amrwatch.ingest.data") / name
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ReferenceDataError(
            f"Ingest data file {name!r} is missing", {"path": str(path)}, hint="reinstall amrwatch"
        ) from error
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return tuple(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))


def lookup(name: str, key: str, value: str) -> dict[str, str]:
    """A TSV data file as a {key column: value column} dictionary."""
    return {row[key]: row[value] for row in rows(name)}
