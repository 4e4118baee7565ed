"""GLASS vocabulary as tables: pathogen rules, specimen / sex / origin maps and the allow-list.

Takes nothing; gives `spec()` (the parsed `data/glass.yaml` with its provenance) and small Arrow
tables the exporter and the validator join against, so every GLASS code lives in one data file.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import pyarrow as pa
import yaml

from amrwatch import refdata


@cache
def spec() -> dict[str, Any]:
    """`data/glass.yaml`: codes, allow-list, columns, counting rules and GLASS message texts."""
    path = resources.files("amrwatch.export") / "data" / "glass.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def allow_list() -> pa.Table:
    """(SPECIMEN, PATHOGEN, ANTIBIOTIC) rows the platform accepts (GLASS check V2)."""
    rows = [(s, p, a) for s, pathogens in spec()["allow_list"].items()
            for p, drugs in pathogens.items() for a in drugs]
    return pa.table({"SPECIMEN": [r[0] for r in rows], "PATHOGEN": [r[1] for r in rows],
                     "ANTIBIOTIC": [r[2] for r in rows]})


def mapping(name: str) -> pa.Table:
    """A code map of glass.yaml (specimens, genders, origins) as a (source, code) table."""
    items = spec()[name]
    return pa.table({"source": [str(k) for k in items], "code": [str(v) for v in items.values()]})


@cache
def pathogen_of_mo() -> pa.Table:
    """(mo, PATHOGEN) for every AMR organism that is a GLASS pathogen; first matching rule wins."""
    import duckdb

    rules = spec()["pathogens"]
    con = duckdb.connect()
    con.register("micro", refdata.table("microorganisms").select(["mo", "genus", "species"]))
    con.register("rules", pa.table({
        "priority": list(range(len(rules))),
        "code": [r["code"] for r in rules],
        "genus": [r.get("genus") for r in rules],
        "species": [r.get("species") for r in rules],
        "mos": [r.get("mo") for r in rules],
    }))
    return con.sql(
        "SELECT m.mo, arg_min(r.code, r.priority) AS PATHOGEN FROM micro m JOIN rules r ON "
        "(r.mos IS NOT NULL AND list_contains(r.mos, m.mo)) OR (r.mos IS NULL AND m.genus = r.genus "
        "AND (r.species IS NULL OR m.species = r.species)) GROUP BY m.mo"
    ).to_arrow_table()
