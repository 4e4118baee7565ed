"""One interpretation run: the guideline's breakpoints, the resolved codes, and per-batch work.

Takes validated `Settings` and a `BreakpointSource`; holds one in-memory DuckDB database with the
run's breakpoint rows (policy filters applied), the code maps and the vocabularies. Gives
`interpret_batch(batch)` -> {sir, reason, breakpoint_id} arrays aligned with the batch.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

import duckdb

from amrwatch.interpret.breakpoints import POTENCY_SQL, BreakpointSource
from amrwatch.interpret.data import read_yaml
from amrwatch.interpret.policy import Settings
from amrwatch.interpret.select import select_sql
from amrwatch.interpret.values import STEP_SQL, read_sql, register_levels
from amrwatch.refdata import table as refdata_table

#: breakpoint_id given to results set by the expected-resistance table (provenance of the R).
EXPECTED_ID = "amr-3.0.0/intrinsic_resistant (EUCAST Expected Resistant Phenotypes v1.2)"
_KEY_LIMIT = 1 << 62


class Run:
    """State shared by the batches of one `interpret()` call (read-only once built)."""

    def __init__(self, settings: Settings, source: BreakpointSource) -> None:
        self.settings = settings
        self.source = source
        self.db = duckdb.connect()
        register_levels(self.db)
        self._vocabulary()
        self._breakpoints()
        self._expected_resistance()

    # --- run-level tables -----------------------------------------------------------------
    def _vocabulary(self) -> None:
        words = read_yaml("vocabulary.yaml")
        for name in ("methods", "breakpoint_types", "hosts"):
            pairs = [(w.lower(), canon) for canon, syn in words[name].items()
                     for w in [canon, *syn]]
            self.db.execute(f"CREATE TABLE {name} AS SELECT DISTINCT * FROM "
                            "(SELECT unnest($w) AS word, unnest($c) AS canonical)",
                            {"w": [p[0] for p in pairs], "c": [p[1] for p in pairs]})
        sites = [s.lower() for s in words["site_priority"]]
        self.db.execute("CREATE TABLE sites AS SELECT unnest($s) AS site, "
                        "generate_subscripts($s, 1) AS idx", {"s": sites})

    def _breakpoints(self) -> None:
        s = self.settings
        fixes = s["breakpoint_ab_corrections"]["codes"]
        self.db.execute("CREATE TABLE ab_fix AS SELECT unnest($old::VARCHAR[]) AS old, "
                        "unnest($new::VARCHAR[]) AS new", {"old": list(fixes), "new": list(fixes.values())})
        self.db.register("source_rows", self.source.rows)
        self.db.execute(f"""
            CREATE TABLE bp AS
            WITH r AS (
              SELECT *, CASE WHEN site IS NULL THEN []::VARCHAR[] ELSE
                  list_transform(string_split(lower(site), ','), lambda x: trim(x)) END AS sites
              FROM source_rows
              WHERE organisation = $org AND year = $year
                AND ($screening OR NOT screen) AND (NOT pkpd OR year <= $pkpd_until)
                AND NOT ({_drop_predicate(s['drop_rows'])}))
            SELECT r.* REPLACE (coalesce((SELECT new FROM ab_fix WHERE old = r.ab), r.ab) AS ab),
              {STEP_SQL.format(x='s')} AS s_step, {STEP_SQL.format(x='r')} AS r_step,
              coalesce((SELECT min(idx) FROM sites WHERE list_contains(r.sites, sites.site)),
                       CASE WHEN len(r.sites) = 0 THEN (SELECT idx FROM sites WHERE site = '(blank)')
                            ELSE 1000 END) AS site_idx
            FROM r""", {"org": s.organisation, "year": s.year,
                        "screening": bool(s["screening_rows"]),
                        "pkpd_until": int(s["pkpd_until_year"].get(s.organisation, 9999))})
        self.db.unregister("source_rows")

    def _expected_resistance(self) -> None:
        applies = self.settings.organisation in self.settings["expected_resistance"]
        self.db.register("intrinsic_source", refdata_table("intrinsic_resistant"))
        self.db.execute("CREATE TABLE intrinsic AS SELECT DISTINCT mo, ab FROM intrinsic_source "
                        "WHERE $applies", {"applies": applies})
        self.db.unregister("intrinsic_source")

    def resolve(self, organisms: pa.Array, antimicrobials: pa.Array, resolve_organisms,
                resolve_antimicrobials) -> None:
        """Resolve each distinct organism/antimicrobial text once; expand organisms to keys."""
        org_map = pa.table({"text": organisms, "mo": resolve_organisms(organisms)})
        coding = self.settings["antimicrobial_coding"]
        ab_map = pa.table({"text": antimicrobials,
                           "ab": resolve_antimicrobials(antimicrobials, coding)})
        keys = self.source.candidate_keys(org_map)
        for name, value in (("orgmap", org_map), ("abmap", ab_map), ("keys", keys)):
            self.db.register(f"{name}_arrow", value)
            self.db.execute(f"CREATE TABLE {name} AS SELECT * FROM {name}_arrow")
            self.db.unregister(f"{name}_arrow")

    # --- per batch ------------------------------------------------------------------------
    def interpret_batch(self, batch: pa.RecordBatch) -> dict[str, pa.Array]:
        combos, combo_of_row = _distinct_rows(batch)
        con = self.db.cursor()
        try:
            answers = self._interpret_combos(con, combos)
        finally:
            con.close()
        return {name: answers.column(name).combine_chunks().take(combo_of_row)
                for name in ("sir", "reason", "breakpoint_id")}

    def _interpret_combos(self, con: duckdb.DuckDBPyConnection, combos: pa.Table) -> pa.Table:
        con.register("raw", combos)
        con.execute(_combos_sql(combos.column_names, self.settings))
        con.execute("CREATE TEMP VIEW vals AS SELECT combo_id AS value_id, method, value FROM combos")
        con.execute("CREATE TEMP TABLE readings AS " + read_sql(
            self.settings.organisation == "CLSI", tuple(self.settings["mic_range"]),
            tuple(self.settings["disk_range_mm"])))
        *prepare, result = select_sql(self.settings, EXPECTED_ID)
        for statement in prepare:
            con.execute(statement)
        return con.sql(result + " ORDER BY combo_id").to_arrow_table()


def _drop_predicate(drops: list[dict]) -> str:
    """SQL that is true for the breakpoint rows a policy removes (data: policies.yaml drop_rows)."""
    terms = []
    for drop in drops:
        where = drop["where"]
        parts = [f"organisation = '{where['guideline']}'", f"year >= {int(where['from_year'])}"]
        if where.get("pkpd"):
            parts.append("pkpd")
        if where.get("mo"):
            parts.append("key IN (" + ", ".join(f"'{m}'" for m in where["mo"]) + ")")
        terms.append("(" + " AND ".join(parts) + ")")
    return " OR ".join(terms) or "FALSE"


def _distinct_rows(batch: pa.RecordBatch) -> tuple[pa.Table, pa.Array]:
    """The distinct rows of `batch` (one representative row each, as text) and each row's combo."""
    from amrwatch.interpret.engine import OPTIONAL, REQUIRED, _as_text

    names = [n for n in (*REQUIRED, *OPTIONAL) if n in batch.schema.names]
    key = None
    cardinality = 1
    for name in names:
        encoded = pc.dictionary_encode(batch.column(name), null_encoding="encode")
        size = max(len(encoded.dictionary), 1)
        codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        if key is not None and cardinality * size >= _KEY_LIMIT:
            key, cardinality = _compact(key)
        key = codes if key is None else key * size + codes
        cardinality *= size
    combo = pc.dictionary_encode(pa.array(key))
    combo_of_row = combo.indices
    representative = np.empty(len(combo.dictionary), dtype=np.int64)
    representative[combo_of_row.to_numpy()] = np.arange(len(key))
    rows = pa.Table.from_batches([batch.select(names)]).take(representative)
    columns = {n: (rows.column(n) if n == "uti" else _as_text(rows.column(n))) for n in names}
    columns["combo_id"] = pa.array(np.arange(rows.num_rows, dtype=np.int64))
    return pa.table(columns), combo_of_row


def _compact(key: np.ndarray) -> tuple[np.ndarray, int]:
    encoded = pc.dictionary_encode(pa.array(key))
    return encoded.indices.to_numpy().astype(np.int64), len(encoded.dictionary)


def _combos_sql(columns: list[str], settings: Settings) -> str:
    """Distinct input rows -> combos with canonical mo, ab, method, type, host and early reasons."""
    col = {n: (n if n in columns else "NULL") for n in
           ("potency", "uti", "site", "host", "breakpoint_type")}
    uti = (f"CASE WHEN lower(trim(CAST({col['uti']} AS VARCHAR))) IN "
           "('true','t','yes','y','1','si','sí','sim','s','uti') THEN TRUE "
           f"WHEN lower(trim(CAST({col['uti']} AS VARCHAR))) IN "
           "('false','f','no','n','0','nao','não') THEN FALSE END")
    default_host = "'dogs'" if settings["selection"] == "amr" else "NULL"
    return f"""
    CREATE TEMP TABLE combos AS
    WITH c AS (
      SELECT r.combo_id, r.value, o.mo, a.ab, m.canonical AS method,
        {POTENCY_SQL.format(col=col['potency'])} AS potency, {uti} AS uti,
        nullif(lower(trim({col['site']})), '') AS site,
        coalesce(t.canonical, CASE WHEN nullif(trim({col['breakpoint_type']}), '') IS NULL
                 THEN 'human' END) AS btype,
        h.canonical AS host_word, nullif(trim({col['host']}), '') AS host_text
      FROM raw r
      LEFT JOIN orgmap o ON o.text = r.organism
      LEFT JOIN abmap a ON a.text = r.antimicrobial
      LEFT JOIN methods m ON m.word = lower(trim(r.method))
      LEFT JOIN breakpoint_types t ON t.word = lower(trim({col['breakpoint_type']}))
      LEFT JOIN hosts h ON h.word = lower(trim({col['host']})))
    SELECT c.* EXCLUDE (host_word, host_text),
      CASE btype WHEN 'human' THEN 'human' WHEN 'ECOFF' THEN 'ECOFF'
                 ELSE coalesce(host_word, {default_host}) END AS host,
      CASE WHEN method IS NULL THEN 'unknown_method'
           WHEN mo IS NULL THEN 'unresolved_organism'
           WHEN ab IS NULL THEN 'unresolved_antimicrobial'
           WHEN btype IS NULL OR (btype = 'animal' AND coalesce(host_word, {default_host}) IS NULL)
             THEN 'unknown_breakpoint_type' END AS reason,
      EXISTS (SELECT 1 FROM intrinsic i WHERE i.mo = c.mo AND i.ab = c.ab) AS expected_r
    FROM c"""
