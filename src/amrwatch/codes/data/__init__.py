"""Versioned code-resolution data (abbreviations, names in ES/PT, AWaRe, Gram stain rules).

Each TSV starts with `#` lines giving source, version and licence; `read_terms(name)` returns its
rows as dicts, `read_yaml(name)` a YAML file. Nothing here is read at import time.
"""

from __future__ import annotations

import csv
from importlib import resources
from typing import Any

import yaml

from amrwatch.errors import ReferenceDataError


def _text(name: str) -> str:
    path = resources.files("amrwatch.codes.data") / name
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise ReferenceDataError(
            f"Code-resolution data file {name!r} is missing", {"path": str(path)},
            hint="reinstall amrwatch",
        ) from error


def read_terms(name: str) -> list[dict[str, str]]:
    """Rows of a TSV data file, skipping its `#` provenance header."""
    lines = [line for line in _text(name).splitlines() if line and not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))


def provenance(name: str) -> list[str]:
    """The `#` header lines of a TSV data file (source, version, licence)."""
    return [line[1:].strip() for line in _text(name).splitlines() if line.startswith("#")]


def read_yaml(name: str) -> Any:
    return yaml.safe_load(_text(name))
