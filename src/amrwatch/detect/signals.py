"""Signals: one row per detected event, with an id derived from the event itself.

Takes what identifies an event (detector, place, organism/phenotype, when it began); gives the
SIGNAL rows. `signal_id` = first 32 hex digits of SHA-256 over the key parts joined by "|", so
the same event found again by a later run (after the next upload) has the same id and the store
keeps one row; the rule engine computes the same hash in DuckDB (`SIGNAL_ID_SQL`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

import pyarrow as pa

from amrwatch.schemas import SIGNAL

#: Length of the id: 128 bits of SHA-256 make collisions between events negligible.
ID_HEX_DIGITS = 32


def signal_id(*parts: Any) -> str:
    """Id of the event identified by `parts` (None is written as an empty part)."""
    text = "|".join("" if part is None else str(part) for part in parts)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:ID_HEX_DIGITS]


def signal_id_sql(parts: Iterable[str]) -> str:
    """The same id as a DuckDB expression over SQL expressions `parts`."""
    joined = " || '|' || ".join(f"coalesce(CAST({part} AS VARCHAR), '')" for part in parts)
    return f"left(sha256({joined}), {ID_HEX_DIGITS})"


def signals_table(rows: list[dict[str, Any]]) -> pa.Table:
    """SIGNAL rows from dicts whose `evidence` may be a dict (written as compact JSON)."""
    for row in rows:
        if not isinstance(row.get("evidence"), str):
            row["evidence"] = json.dumps(row.get("evidence") or {}, sort_keys=True, default=str)
    return pa.Table.from_pylist(rows, schema=SIGNAL)
