"""Multidrug resistance: Magiorakos 2012 MDR/XDR/PDR classes and GLASS/EARS-Net indicator flags.

Takes an isolate table (wide or long) with an organism column (AMR `mo` codes); gives one row per
isolate (wide input: the input rows, in order) with

* `mdro` — negative | MDR | XDR | PDR, empty when too few categories were tested or the organism
  is unknown; `mdro_reason` says which (closed set: criteria_met, criteria_not_met,
  too_few_categories_tested, not_covered, unknown_organism);
* `categories_tested`, `categories_nonsusceptible` and their names, and `categories_not_tested`
  (AMR issue #21), so a reader sees why an isolate was or was not called MDR;
* with `indicators()`: one nullable boolean column per indicator (MRSA, VRE, CRE, CRAB, CRPA,
  3GC-R Enterobacterales, FQ-R E. coli).

The definitions are data: `data/mdro_magiorakos2012.yaml` (categories and agents of Tables 1-5,
intrinsic exclusions, substitutes) and `data/resistance_indicators.yaml`. All counting is one
DuckDB query over the long results; no loop over isolates.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import yaml

from amrwatch import refdata
from amrwatch.analyse import isolates
from amrwatch.errors import ConfigurationError

CLASSES = ("negative", "MDR", "XDR", "PDR")
REASONS = ("criteria_met", "criteria_not_met", "too_few_categories_tested", "not_covered",
           "unknown_organism")


@cache
def definitions(name: str = "mdro_magiorakos2012") -> dict[str, Any]:
    """A definitions file of `amrwatch.analyse` (YAML with its provenance)."""
    path = resources.files("amrwatch.analyse") / "data" / f"{name}.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _run(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> None:
    """Run a statement to completion (DuckDB 2 refuses new work while a result is pending)."""
    con.execute(sql, params or []).fetchall()


def _organism_table(matches: list[tuple[str, dict[str, str]]]) -> pa.Table:
    """(label, rule) pairs as a table joinable on genus / species / order (missing = any)."""
    return pa.table({
        "label": [label for label, _ in matches],
        "genus": [rule.get("genus") for _, rule in matches],
        "species": [rule.get("species") for _, rule in matches],
        "order_": [rule.get("order") for _, rule in matches],
        "priority": list(range(len(matches))),
    })


def _connect(long: pa.Table, listing: pa.Table, organism: str,
             key: list[str]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.register("results", long)
    con.register("listing", listing)
    micro = refdata.table("microorganisms").select(["mo", "genus", "species", "order"])
    con.register("micro", micro)
    keys = ", ".join(f'"{k}"' for k in key)
    _run(con,
        f'CREATE TEMP TABLE r AS SELECT {keys}, "{organism}" AS mo, upper(trim(ab)) AS ab, '
        f"CASE upper(trim(sir)) WHEN 'SDD' THEN 'I' ELSE upper(trim(sir)) END AS sir FROM results"
    )
    _run(con,
        "CREATE TEMP TABLE taxa AS SELECT DISTINCT l.mo, m.genus, m.species, m.\"order\" AS order_ "
        f'FROM (SELECT "{organism}" AS mo FROM listing) l LEFT JOIN micro m ON m.mo = l.mo'
    )
    return con


def _prepare(table: pa.Table, organism: str | None) -> tuple[pa.Table, pa.Table, list[str], str]:
    """Isolate list (key + organism), long results, key columns and organism column name."""
    if not isolates.is_long(table) and "isolate_id" not in table.column_names:
        table = table.append_column(
            "isolate_id", isolates.row_numbers(table.num_rows))
    organism = isolates.find_column(table, "organism", organism)
    long = isolates.to_long(table)
    key = isolates.isolate_key(long)
    if isolates.is_long(table):
        con = duckdb.connect()
        con.register("results", table)
        listing = con.sql(
            "SELECT DISTINCT " + ", ".join(f'"{k}"' for k in key + [organism]) + " FROM results"
        ).to_arrow_table()
    else:
        listing = table.select(key + [organism])
    return listing, long, key, organism


def mdro(table: pa.Table, organism: str | None = None, nonsusceptible: str | None = None,
         definition: str = "mdro_magiorakos2012") -> pa.Table:
    """Magiorakos 2012 class per isolate, with the categories behind it (see module docstring)."""
    spec = definitions(definition)
    ns = list(nonsusceptible) if nonsusceptible else spec["nonsusceptible"]
    if not set(ns) <= {"R", "I"}:
        raise ConfigurationError("nonsusceptible must be R or RI", {"value": nonsusceptible})
    listing, long, key, organism = _prepare(table, organism)
    con = _connect(long, listing, organism, key)
    _load_definitions(con, spec)
    _apply_substitutes(con, spec)
    result = _classify(con, listing, key, organism, spec, ns)
    return _attach(table, result, key) if not isolates.is_long(table) else result


def _load_definitions(con: duckdb.DuckDBPyConnection, spec: dict[str, Any]) -> None:
    groups = spec["organism_groups"]
    con.register("match_rules", _organism_table([(g["name"], g["match"]) for g in groups]))
    con.register("categories", pa.table({
        "grp": [g["name"] for g in groups for c, drugs in g["categories"].items() for _ in drugs],
        "category": [c for g in groups for c, drugs in g["categories"].items() for _ in drugs],
        "ab": [d for g in groups for drugs in g["categories"].values() for d in drugs],
    }))
    con.register("mdr_triggers", pa.table({
        "grp": [g["name"] for g in groups for _ in g.get("mdr_if_resistant_to_any", [])],
        "ab": [d for g in groups for d in g.get("mdr_if_resistant_to_any", [])],
    }))
    exclusions = spec["intrinsic_exclusions"]
    con.register("exclusions", pa.table({
        "genus": [e["genus"] for e in exclusions for _ in e["drugs"]],
        "species": [e.get("species") for e in exclusions for _ in e["drugs"]],
        "ab": [d for e in exclusions for d in e["drugs"]],
    }))
    _run(con,
        "CREATE TEMP TABLE grouped AS SELECT t.mo, t.genus, t.species, arg_min(m.label, m.priority) "
        "AS grp FROM taxa t LEFT JOIN match_rules m ON (m.genus IS NULL OR m.genus = t.genus) "
        "AND (m.species IS NULL OR m.species = t.species) AND (m.order_ IS NULL OR m.order_ = t.order_) "
        "GROUP BY t.mo, t.genus, t.species"
    )


def _apply_substitutes(con: duckdb.DuckDBPyConnection, spec: dict[str, Any]) -> None:
    """Copy results of a stand-in drug when the data set has none for the drug (AMR's rule)."""
    for rule in spec.get("substitutes", []):  # a handful of data rows, not a loop over results
        present = con.execute("SELECT count(*) FROM r WHERE ab = ?", [rule["missing"]]).fetchall()[0]
        if present[0] == 0:
            _run(con, "INSERT INTO r SELECT * REPLACE (? AS ab) FROM r WHERE ab = ?",
                 [rule["missing"], rule["use"]])


def _classify(con: duckdb.DuckDBPyConnection, listing: pa.Table, key: list[str], organism: str,
              spec: dict[str, Any], ns: list[str]) -> pa.Table:
    k = ", ".join(f'r."{c}"' for c in key)
    on = " AND ".join(f'l."{c}" IS NOT DISTINCT FROM s."{c}"' for c in key)
    ns_sql = "(" + ", ".join(f"'{v}'" for v in ns) + ")"
    _run(con, f"""
        CREATE TEMP TABLE per_category AS
        SELECT {k}, g.grp, c.category,
               bool_or(r.sir IN ('S','I','R')) AS tested, bool_or(r.sir IN {ns_sql}) AS ns,
               bool_and(r.sir IN {ns_sql}) AS all_ns
        FROM r JOIN grouped g ON g.mo = r.mo
        JOIN categories c ON c.grp = g.grp AND c.ab = r.ab
        WHERE NOT EXISTS (SELECT 1 FROM exclusions e WHERE e.ab = r.ab AND e.genus = g.genus
                          AND (e.species IS NULL OR e.species = g.species))
        GROUP BY ALL""")
    _run(con, f"""
        CREATE TEMP TABLE triggered AS SELECT DISTINCT {k} FROM r JOIN grouped g ON g.mo = r.mo
        JOIN mdr_triggers t ON t.grp = g.grp AND t.ab = r.ab WHERE r.sir IN {ns_sql}""")
    keys = ", ".join(f'"{c}"' for c in key)
    sql = f"""
        WITH sizes AS (SELECT grp, count(DISTINCT category) AS n_cat FROM categories GROUP BY grp),
        summary AS (
            SELECT {keys}, count(*) FILTER (WHERE tested) AS tested,
                   count(*) FILTER (WHERE ns) AS nonsus, bool_and(all_ns) AS all_ns,
                   list_sort(list(category) FILTER (WHERE ns)) AS ns_names,
                   list(category) FILTER (WHERE tested) AS tested_names
            FROM per_category GROUP BY {keys}),
        joined AS (
            SELECT l.*, g.grp, z.n_cat, g.genus IS NOT NULL AS known,
                   coalesce(s.tested, 0) AS categories_tested,
                   coalesce(s.nonsus, 0) AS categories_nonsusceptible,
                   coalesce(s.all_ns, false) AS all_ns,
                   array_to_string(s.ns_names, '; ') AS nonsusceptible_categories,
                   (SELECT string_agg(DISTINCT c.category, '; ' ORDER BY c.category)
                      FROM categories c WHERE c.grp = g.grp
                      AND NOT list_contains(coalesce(s.tested_names, []), c.category))
                   AS categories_not_tested,
                   EXISTS (SELECT 1 FROM triggered t WHERE {on.replace('s.', 't.')}) AS trigger
            FROM listing l LEFT JOIN grouped g ON g.mo = l."{organism}"
            LEFT JOIN sizes z ON z.grp = g.grp
            LEFT JOIN summary s ON {on}),
        classed AS (
            SELECT *, CASE
                WHEN grp IS NULL THEN NULL
                WHEN all_ns AND categories_tested = n_cat THEN 'PDR'
                WHEN n_cat - categories_nonsusceptible <= {spec['xdr_max_susceptible_categories']} THEN 'XDR'
                WHEN categories_nonsusceptible >= {spec['mdr_min_categories']} OR trigger THEN 'MDR'
                ELSE 'negative' END AS raw_class
            FROM joined)
        SELECT * EXCLUDE (raw_class, known, all_ns, trigger, n_cat),
            CASE WHEN raw_class IN ('negative', 'XDR')
                  AND categories_tested < floor(n_cat * {spec['min_fraction_categories_tested']})
                 THEN NULL WHEN grp IS NULL AND known THEN 'negative' ELSE raw_class END AS mdro,
            CASE WHEN grp IS NULL AND known THEN 'not_covered'
                 WHEN grp IS NULL THEN 'unknown_organism'
                 WHEN raw_class IN ('negative', 'XDR')
                  AND categories_tested < floor(n_cat * {spec['min_fraction_categories_tested']})
                 THEN 'too_few_categories_tested'
                 WHEN raw_class = 'negative' THEN 'criteria_not_met'
                 ELSE 'criteria_met' END AS mdro_reason
        FROM classed"""
    result = con.sql(sql).to_arrow_table()
    return result.rename_columns(
        ["mdro_group" if c == "grp" else c for c in result.column_names])


def _attach(table: pa.Table, result: pa.Table, key: list[str]) -> pa.Table:
    """Result columns appended to the wide input, in its row order (isolate_id = row number)."""
    ids = table.column("isolate_id") if "isolate_id" in table.column_names else \
        isolates.row_numbers(table.num_rows)
    position = pc.index_in(ids, result.column("isolate_id"))
    extra = [c for c in result.column_names if c not in table.column_names and c not in key]
    for name in extra:
        table = table.append_column(name, pc.take(result.column(name), position))
    return table


def indicators(table: pa.Table, organism: str | None = None,
               definition: str = "resistance_indicators") -> pa.Table:
    """One nullable boolean column per indicator of `data/resistance_indicators.yaml`."""
    spec = definitions(definition)["indicators"]
    listing, long, key, organism = _prepare(table, organism)
    con = _connect(long, listing, organism, key)
    con.register("scope", _organism_table(
        [(name, rule) for name, item in spec.items() for rule in item["organisms"]]))
    con.register("agents", pa.table({
        "label": [n for n, item in spec.items() for _ in item["resistant_to_any"]],
        "ab": [d for item in spec.values() for d in item["resistant_to_any"]],
    }))
    lk = ", ".join(f'l."{c}"' for c in key)
    on = " AND ".join(f'l."{c}" IS NOT DISTINCT FROM r."{c}"' for c in key)
    flags = con.sql(f"""
        SELECT {lk}, s.label,
               CASE WHEN bool_or(r.sir IN ('S','I','R')) THEN bool_or(r.sir = 'R') END AS flag
        FROM listing l JOIN taxa t ON t.mo = l."{organism}"
        JOIN scope s ON (s.genus IS NULL OR s.genus = t.genus)
          AND (s.species IS NULL OR s.species = t.species) AND (s.order_ IS NULL OR s.order_ = t.order_)
        LEFT JOIN r ON {on} AND r.ab IN (SELECT ab FROM agents a WHERE a.label = s.label)
        GROUP BY ALL""").to_arrow_table()
    con.register("flags", flags)
    names = ", ".join(f"'{name}'" for name in spec)
    keys = ", ".join(f'"{c}"' for c in key)
    on2 = " AND ".join(f'l."{c}" IS NOT DISTINCT FROM p."{c}"' for c in key)
    result = con.sql(f"""
        WITH p AS (PIVOT flags ON label IN ({names}) USING first(flag) GROUP BY {keys})
        SELECT l.*, p.* EXCLUDE ({keys}) FROM listing l LEFT JOIN p ON {on2}""").to_arrow_table()
    return _attach(table, result, key) if not isolates.is_long(table) else result


def mdro_with_indicators(table: pa.Table, organism: str | None = None,
                         nonsusceptible: str | None = None) -> pa.Table:
    """`mdro()` and `indicators()` in one table (wide: input rows; long: one row per isolate)."""
    classes = mdro(table, organism, nonsusceptible)
    if not isolates.is_long(table):
        return indicators(classes, organism)
    flags = indicators(table, organism)
    key = isolates.isolate_key(table)
    con = duckdb.connect()
    con.register("classes", classes)
    con.register("flags", flags)
    on = " AND ".join(f'c."{k}" IS NOT DISTINCT FROM f."{k}"' for k in key)
    names = ", ".join(f'f."{n}"' for n in definitions("resistance_indicators")["indicators"])
    return con.sql(f"SELECT c.*, {names} FROM classes c LEFT JOIN flags f ON {on}").to_arrow_table()
