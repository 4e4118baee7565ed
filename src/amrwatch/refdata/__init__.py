"""Reference tables: the clinical knowledge amrwatch interprets with, as versioned package data.

Takes nothing at import time. Gives `table(name)`, a cached Arrow table read on first use from the
vendored AMR R package 3.0.0 tables (GPL-2; see `amr_r/MANIFEST.json` for source, version,
checksums and row counts), and `manifest()`. WHONET AMRIE tables are never vendored: a user imports
their own copy with `amrwatch refdata import-whonet DIR` (see `amrwatch.refdata.whonet`).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from amrwatch.errors import ReferenceDataError

#: Folder of the vendored AMR R package tables inside the installed package.
AMR_R_DIR = Path(str(resources.files("amrwatch.refdata") / "amr_r"))


@cache
def manifest() -> dict[str, Any]:
    """The provenance manifest of the vendored tables (source, version, licence, per-table sha256)."""
    path = AMR_R_DIR / "MANIFEST.json"
    if not path.exists():
        raise ReferenceDataError(
            "The vendored reference tables are missing",
            {"path": str(path)},
            hint="reinstall amrwatch, or rebuild them with `make refdata`",
        )
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def countries() -> pa.Table:
    """The 33 CELAC member states: ISO3 and ISO numeric codes, names in EN/ES/PT/FR, population,
    capital with coordinates and main language (`countries.tsv`; its `source` column says where
    each fact comes from)."""
    from amrwatch.tables import read_table

    return read_table(Path(str(resources.files("amrwatch.refdata") / "countries.tsv")))


@cache
def table(name: str) -> pa.Table:
    """One vendored AMR table by its source name, e.g. ``clinical_breakpoints`` or ``microorganisms``."""
    known = manifest()["tables"]
    if name not in known:
        raise ReferenceDataError(
            f"Unknown reference table {name!r}",
            {"known": ", ".join(sorted(known))},
        )
    path = AMR_R_DIR / f"{name}.parquet"
    try:
        return pq.read_table(path)
    except (OSError, pa.ArrowInvalid) as error:
        raise ReferenceDataError(
            f"Reference table {name!r} cannot be read: {error}",
            {"path": str(path)},
            hint="reinstall amrwatch, or rebuild the tables with `make refdata`",
        ) from error
