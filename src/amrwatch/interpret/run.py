"""One interpretation run: the guideline's breakpoints, the resolved codes, and per-batch work.

Takes validated `Settings` and a `BreakpointSource`; holds one in-memory DuckDB database with the
run's breakpoint rows (policy filters applied), the code maps and the vocabularies. Gives
`interpret_rows(table)` -> {sir, reason, breakpoint_id, guideline} columns aligned with the rows.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from amrwatch.interpret.breakpoints import POTENCY_SQL, BreakpointSource
from amrwatch.interpret.data import read_yaml
from amrwatch.interpret.policy import Settings
from amrwatch.interpret.rows import distinct_rows, spread, unique_text
from amrwatch.interpret.select import select_sql
from amrwatch.interpret.values import STEP_SQL, read_sql, register_levels


class Run:
    """The reference state of one guideline/policy (read-only once built, shared by calls);
    each call works in its own DuckDB cursor with its own temporary tables."""

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
        rules = self.source.expected_resistance(self.settings.organisation)
        self.db.register("expected_source", rules)
        self.db.execute("CREATE TABLE intrinsic AS SELECT * FROM expected_source WHERE $applies",
                        {"applies": applies})
        self.db.unregister("expected_source")

    def _resolve(self, con: duckdb.DuckDBPyConnection, organisms: pa.Array,
                 antimicrobials: pa.Array) -> None:
        """Resolve each distinct organism/antimicrobial text once; expand organisms to keys."""
        from amrwatch.interpret.organisms import resolve, resolve_antimicrobials

        org_map = pa.table({"text": organisms, "mo": resolve(organisms)})
        coding = self.settings["antimicrobial_coding"]
        ab_map = pa.table({"text": antimicrobials,
                           "ab": resolve_antimicrobials(antimicrobials, coding)})
        keys = self.source.candidate_keys(org_map)
        for name, value in (("orgmap", org_map), ("abmap", ab_map), ("keys", keys)):
            con.register(f"{name}_arrow", value)
            con.execute(f"CREATE TEMP TABLE {name} AS SELECT * FROM {name}_arrow")

    # --- the rows ------------------------------------------------------------------------
    def interpret_rows(self, data: pa.Table) -> dict[str, pa.ChunkedArray]:
        """sir, reason, breakpoint_id, guideline for every row of `data` (chunked like `data`)."""
        combos, combo_of_row = distinct_rows(data)
        con = self.db.cursor()
        try:
            self._resolve(con, unique_text(combos, "organism"), unique_text(combos, "antimicrobial"))
            answers = self._interpret_combos(con, combos)
        finally:
            con.close()
        answers = answers.select(["sir", "reason", "breakpoint_id"]).append_column(
            "guideline", pa.repeat(pa.scalar(self.settings.guideline), answers.num_rows))
        return spread(answers, combo_of_row)

    def _interpret_combos(self, con: duckdb.DuckDBPyConnection, combos: pa.Table) -> pa.Table:
        con.register("raw", combos)
        con.execute(_combos_sql(combos.column_names, self.settings))
        con.execute("CREATE TEMP TABLE vals AS SELECT row_number() OVER () AS value_id, method, value "
                    "FROM (SELECT DISTINCT method, value FROM combos)")
        con.execute("CREATE TEMP TABLE readings AS SELECT v.method, v.value, r.* FROM (" + read_sql(
            self.settings.organisation == "CLSI", tuple(self.settings["mic_range"]),
            tuple(self.settings["disk_range_mm"]), self.settings["value_reading"])
            + ") r JOIN vals v USING (value_id)")
        *prepare, result = select_sql(self.settings, self.source.expected_id)
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
      LEFT JOIN hosts h ON h.word = lower(trim({col['host']}))),
    -- expected resistance: a rule keyed to one of the organism's keys, unless another of its
    -- keys is among the rule's exceptions (WHONET: Enterobacterales except SAL, SHI); listed
    -- once per organism and drug, then joined (a correlated EXISTS per combination made DuckDB
    -- cross every combination with every rule)
    expected AS (
      SELECT DISTINCT k.mo, i.ab FROM keys k JOIN intrinsic i ON i.key = k.key
      WHERE NOT EXISTS (SELECT 1 FROM keys x WHERE x.mo = k.mo AND list_contains(i.exceptions, x.key)))
    SELECT c.* EXCLUDE (host_word, host_text),
      CASE btype WHEN 'human' THEN 'human' WHEN 'ECOFF' THEN 'ECOFF'
                 ELSE coalesce(host_word, {default_host}) END AS host,
      CASE WHEN method IS NULL THEN 'unknown_method'
           WHEN c.mo IS NULL THEN 'unresolved_organism'
           WHEN c.ab IS NULL THEN 'unresolved_antimicrobial'
           WHEN btype IS NULL OR (btype = 'animal' AND coalesce(host_word, {default_host}) IS NULL)
             THEN 'unknown_breakpoint_type' END AS reason,
      e.mo IS NOT NULL AS expected_r
    FROM c LEFT JOIN expected e ON e.mo = c.mo AND e.ab = c.ab"""
