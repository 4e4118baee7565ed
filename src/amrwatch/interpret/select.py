"""Breakpoint selection and categorisation, written once as SQL over distinct input combinations.

Takes, in one DuckDB connection: `combos` (one row per distinct organism/antimicrobial/method/
value/potency/uti/site/host/type combination, with its resolved `mo`, `ab` and any reason found
earlier), `readings` (values.py), `keys` (organism -> breakpoint keys), `bp` (the breakpoint rows
of one guideline year, already filtered by policy) and `sites` (site priority). Gives one row per
combo: sir, reason, breakpoint_id.

Selection ("most specific wins"), refdata README §4:
* amrwatch: candidates on (key, ab, method, type, host); disk potency must match; order by the
  row's organism rank, then site rank (given site, UTI when uti is true, else the AMRIE site
  priority), then table order. The first row is used even if it is a blocker (WHONET).
* amr: AMR 3.0.0 as.sir(): order by rank_index, then uti FALSE/NA/TRUE, then table order; with
  uti unknown and both UTI and non-UTI rows of different sites, only non-UTI rows are kept;
  uti = TRUE keeps UTI rows only; uti = FALSE takes the first row in table order (spec items 1-4).
"""

from __future__ import annotations

from amrwatch.interpret.policy import Settings

# The breakpoint row does not depend on the value, so it is chosen once per distinct choice
# (organism, drug, method, type, host, potency, uti, site): ~1,000 choices for ~33,000 combos.
_CHOICES = """
CREATE OR REPLACE TEMP TABLE choices AS
SELECT row_number() OVER () AS choice_id, * FROM (
  SELECT DISTINCT mo, ab, method, btype, host, potency, uti, site FROM combos WHERE reason IS NULL)
"""

_CHOICE_OF_COMBO = """
CREATE OR REPLACE TEMP TABLE choice_of_combo AS
SELECT c.combo_id, h.choice_id FROM combos c JOIN choices h
  ON h.mo = c.mo AND h.ab = c.ab AND h.method = c.method AND h.btype = c.btype
 AND h.host IS NOT DISTINCT FROM c.host AND h.potency IS NOT DISTINCT FROM c.potency
 AND h.uti IS NOT DISTINCT FROM c.uti AND h.site IS NOT DISTINCT FROM c.site
WHERE c.reason IS NULL
"""

_CANDIDATES = """
CREATE OR REPLACE TEMP TABLE cand AS
SELECT c.choice_id, c.uti AS combo_uti, b.*,
  (c.potency IS NULL OR b.potency IS NULL OR {check_potency} = FALSE
     OR split_part(c.potency, '/', 1) = split_part(b.potency, '/', 1)) AS potency_ok,
  (CASE WHEN c.uti AND '{uti_true}' = 'only_uti' THEN b.uti
        WHEN c.uti = FALSE AND '{selection}' = 'amrwatch' THEN NOT b.uti
        ELSE TRUE END) AS uti_ok,
  CASE WHEN c.uti AND b.uti THEN -2
       WHEN c.site IS NOT NULL AND list_contains(b.sites, c.site) THEN -1  -- the site asked for
       ELSE b.site_idx END AS site_rank
FROM (WITH ck AS MATERIALIZED (
        -- organism keys first: the planner otherwise joins every combo to every drug row
        SELECT c.*, k.key FROM choices c JOIN keys k ON k.mo = c.mo)
      SELECT * FROM ck) c
JOIN bp b ON b.key = c.key AND b.ab = c.ab AND b.method = c.method AND b.type = c.btype
         AND (b.type <> 'animal' OR b.host = c.host)
-- a given site excludes rows of its negation ("Non-meningitis" for "Meningitis"); AMR 3.0.0
-- ignores the site (it only knows uti)
WHERE c.site IS NULL OR '{selection}' = 'amr' OR NOT list_contains(b.sites, 'non-' || c.site)
"""

_ORDER = {
    "amrwatch": "rank_index, site_rank, table_order",
    "amr": ("CASE WHEN combo_uti = FALSE THEN 0 ELSE rank_index END, "
            "CASE WHEN combo_uti = FALSE THEN 0 WHEN NOT uti THEN 1 WHEN uti IS NULL THEN 2 ELSE 3 END, "
            "table_order"),
}

_BEST = """
CREATE OR REPLACE TEMP TABLE best AS
WITH stats AS (
  SELECT choice_id, bool_or(potency_ok) AS any_potency, bool_or(potency_ok AND uti_ok) AS any_ok
  FROM cand GROUP BY choice_id),
eligible AS (
  SELECT *, count(*) OVER w AS n, count(DISTINCT coalesce(site, '<NA>')) OVER w AS n_sites,
         bool_or(uti) OVER w AS any_uti, bool_or(NOT uti) OVER w AS any_non_uti
  FROM cand WHERE potency_ok AND uti_ok
  WINDOW w AS (PARTITION BY choice_id)),
ranked AS (
  SELECT * FROM eligible
  -- AMR 3.0.0: uti unknown, UTI and non-UTI rows of several sites -> non-UTI rows only
  WHERE NOT ('{selection}' = 'amr' AND combo_uti IS NULL AND n > 1 AND n_sites > 1
             AND any_uti AND any_non_uti AND uti)
  QUALIFY row_number() OVER (PARTITION BY choice_id ORDER BY {order}) = 1)
SELECT s.choice_id, s.any_potency, s.any_ok, r.* EXCLUDE (choice_id)
FROM stats s LEFT JOIN ranked r USING (choice_id)
"""

# amrwatch categories on dilution steps (MIC) and mm (disk); `is_r` honours r_strict (trap 1).
_AMRWATCH_CATEGORY = """
CASE
  WHEN b.blocker THEN NULL
  WHEN b.method = 'MIC' AND b.type = 'ECOFF' THEN CASE
    WHEN x.op_inclusive = '<=' AND x.step > b.s_step THEN 'NI'
    WHEN x.op_inclusive = '>=' AND x.step <= b.s_step THEN 'NI'
    WHEN x.step <= b.s_step THEN 'WT' ELSE 'NWT' END
  WHEN b.method = 'DISK' AND b.type = 'ECOFF' THEN CASE WHEN x.zone >= b.s THEN 'WT' ELSE 'NWT' END
  WHEN b.method = 'MIC' THEN CASE
    WHEN '{capped}' IN ('conservative', 'inverse') AND x.op = '<' THEN 'S'
    WHEN '{capped}' IN ('conservative', 'inverse') AND x.op = '>' THEN 'R'
    WHEN '{capped}' IN ('conservative', 'standard') AND x.op_inclusive = '<=' AND x.step > b.s_step
      AND ('{beyond}' = 'ambiguous' OR b.r IS NULL OR x.step <= b.r_step) THEN 'NI'
    WHEN '{capped}' IN ('conservative', 'standard') AND x.op_inclusive = '>=' AND CASE
      WHEN b.r IS NULL THEN x.step <= b.s_step
      WHEN '{beyond}' = 'ambiguous' THEN NOT (x.step > b.r_step OR (NOT b.r_strict AND x.step = b.r_step))
      ELSE x.step >= b.s_step AND x.step < b.r_step END THEN 'NI'
    WHEN x.step <= b.s_step THEN 'S'
    WHEN x.step > b.r_step OR (NOT b.r_strict AND x.step = b.r_step) THEN 'R'
    WHEN b.r IS NULL THEN {s_only}
    WHEN b.is_sdd THEN 'SDD' ELSE 'I' END
  ELSE CASE
    WHEN x.zone >= b.s THEN 'S'
    WHEN x.zone < b.r OR (NOT b.r_strict AND x.zone = b.r) THEN 'R'
    WHEN b.r IS NULL THEN {s_only}
    WHEN b.is_sdd THEN 'SDD' ELSE 'I' END
END"""

# AMR 3.0.0 as.sir() case_when, on the numbers as AMR reads them (spec items 10-13).
_AMR_CATEGORY = """
CASE
  WHEN x.amr_value IS NULL THEN NULL
  WHEN b.method = 'MIC' AND '{capped}' IN ('conservative', 'inverse') AND x.amr_op = '<' THEN 'S'
  WHEN b.method = 'MIC' AND '{capped}' IN ('conservative', 'inverse') AND x.amr_op = '>' THEN 'R'
  WHEN b.method = 'MIC' AND '{capped}' IN ('conservative', 'standard') AND x.amr_op IN ('<=', '>=')
    AND x.amr_value > b.s AND x.amr_value < b.r THEN 'NI'
  WHEN b.method = 'MIC' AND '{capped}' IN ('conservative', 'standard') AND x.amr_op = '<='
    AND x.amr_value = b.r THEN 'NI'
  WHEN b.method = 'MIC' AND '{capped}' IN ('conservative', 'standard') AND x.amr_op = '>='
    AND x.amr_value = b.s THEN 'NI'
  WHEN b.method = 'MIC' AND x.amr_compare <= b.s THEN 'S'
  WHEN b.method = 'DISK' AND x.amr_value >= b.s THEN 'S'
  WHEN b.method = 'MIC' AND (x.amr_compare > b.r OR (NOT b.r_strict AND x.amr_compare = b.r)) THEN 'R'
  WHEN b.method = 'DISK' AND (x.amr_value < b.r OR (NOT b.r_strict AND x.amr_value = b.r)) THEN 'R'
  WHEN b.s IS NOT NULL AND b.r IS NOT NULL AND b.is_sdd THEN 'SDD'
  WHEN b.s IS NOT NULL AND b.r IS NOT NULL THEN 'I'
END"""

_RESULT = """
WITH cat AS (
  SELECT c.combo_id, c.reason AS early_reason, c.expected_r,
    CASE WHEN '{reading}' = 'amr' THEN x.amr_reason ELSE x.value_reason END AS value_reason,
    b.any_potency, b.any_ok, b.breakpoint_id, b.blocker, b.r IS NULL AND b.s IS NOT NULL AS s_only,
    CASE WHEN b.breakpoint_id IS NOT NULL THEN {category} END AS category
  FROM combos c
  LEFT JOIN readings x ON x.method IS NOT DISTINCT FROM c.method
                       AND x.value IS NOT DISTINCT FROM c.value
  LEFT JOIN choice_of_combo USING (combo_id)
  LEFT JOIN best b USING (choice_id)),
reasoned AS (
  SELECT *, CASE
    WHEN early_reason IS NOT NULL THEN early_reason
    WHEN expected_r AND value_reason IS DISTINCT FROM 'missing_value' THEN 'expected_resistance'
    WHEN value_reason IS NOT NULL THEN value_reason
    WHEN any_potency IS NULL THEN 'no_breakpoint'
    WHEN NOT any_potency THEN 'potency_mismatch'
    WHEN NOT any_ok THEN 'uti_breakpoint_missing'
    WHEN blocker THEN 'blocked_by_guideline'
    WHEN category = 'NI' THEN 'capped_value_ambiguous'
    WHEN category IS NULL AND s_only THEN 'no_r_breakpoint'
    WHEN category IS NULL THEN 'no_breakpoint'
    ELSE 'interpreted' END AS reason
  FROM cat)
SELECT combo_id,
  CASE reason WHEN 'expected_resistance' THEN 'R' WHEN 'interpreted' THEN category
              WHEN 'capped_value_ambiguous' THEN 'NI' END AS sir,
  reason,
  CASE reason WHEN 'expected_resistance' THEN '{expected_id}'
              WHEN 'interpreted' THEN breakpoint_id WHEN 'capped_value_ambiguous' THEN breakpoint_id
              WHEN 'blocked_by_guideline' THEN breakpoint_id END AS breakpoint_id
FROM reasoned
"""


def select_sql(settings: Settings, expected_id: str) -> list[str]:
    """The statements (choices, candidates, best row, result) for one run's settings."""
    selection = settings["selection"]
    s_only = settings["s_only_above_s"]
    fill = {
        "selection": selection, "uti_true": settings["uti_true"], "capped": settings.capped,
        "beyond": settings["capped_beyond_range"], "reading": settings["value_reading"],
        "check_potency": "TRUE" if selection == "amrwatch" else "FALSE",
        "s_only": f"'{s_only}'" if s_only else "NULL", "order": _ORDER[selection],
        "expected_id": expected_id,
    }
    category = _AMR_CATEGORY if settings["value_reading"] == "amr" else _AMRWATCH_CATEGORY
    fill["category"] = category.format(**fill)
    return [_CHOICES, _CHOICE_OF_COMBO, _CANDIDATES.format(**fill), _BEST.format(**fill), _RESULT.format(**fill)]
