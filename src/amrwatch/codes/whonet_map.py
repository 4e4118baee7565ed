"""Linking a user's WHONET organism codes to AMR organisms, both ways.

Takes imported `WhonetTables`; gives, per current WHONET organism (TAXONOMIC_STATUS=C), the AMR
`mo` its code resolves to (through AMR's `microorganisms.codes`) and the one its name resolves to,
so `organism_properties` can report WHONET group codes and the concordance check can compare them.
"""

from __future__ import annotations

from functools import cache

import pyarrow as pa

from amrwatch.codes.organisms import match_term
from amrwatch.codes.taxonomy import vocabulary


def concordance(tables: object) -> pa.Table:
    """One row per current WHONET organism: code, name, mo by code, mo by name, agreement."""
    return _concordance(id(tables), tables)


@cache
def _concordance(_key: int, tables: object) -> pa.Table:
    rows = tables.organisms().to_pylist()  # type: ignore[attr-defined]
    codes = vocabulary().codes
    by_code = [codes.get(row["WHONET_ORG_CODE"].upper()) for row in rows]
    by_name = [match_term(row["ORGANISM"]) for row in rows]
    return pa.table({
        "whonet_org_code": [row["WHONET_ORG_CODE"] for row in rows],
        "organism": [row["ORGANISM"] for row in rows],
        "organism_type": [row.get("ORGANISM_TYPE") for row in rows],
        "mo_by_code": by_code,
        "mo_by_name": [m.code for m in by_name],
        "name_reason": [m.reason for m in by_name],
        "name_uncertain": [m.uncertain for m in by_name],
    })


def whonet_rows_by_mo(tables: object) -> dict[str, dict]:
    """accepted mo -> its WHONET Organisms.txt row (name match preferred, then code match)."""
    return _rows_by_mo(id(tables), tables)


@cache
def _rows_by_mo(_key: int, tables: object) -> dict[str, dict]:
    rows = tables.organisms().to_pylist()  # type: ignore[attr-defined]
    links = concordance(tables).to_pylist()
    found: dict[str, dict] = {}
    for row, link in zip(rows, links, strict=True):
        if link["mo_by_name"] and not link["name_uncertain"]:
            found.setdefault(link["mo_by_name"], row)
    for row, link in zip(rows, links, strict=True):
        if link["mo_by_code"]:
            found.setdefault(link["mo_by_code"], row)
    return found
