"""Reading raw MIC and zone strings, vectorised in DuckDB over the DISTINCT values of a batch.

Takes a relation `vals(value_id, method, value)` (method already MIC/DISK/null); gives one row per
value_id with two readings, so one pass serves every policy:

* amrwatch reading (policy `value_reading: amrwatch`): "≤0.25", "=<0.25", "<= 0,25 mg/L", ">8",
  "2/38" (first number) -> operator + number. MICs become doubling-dilution steps
  `ceil(log2(x) - 0.07)`: off-dilution and gradient values (0.19, 0.75, 1.5, 12, ...) round UP to
  the next dilution (refdata README trap 2), while the published approximations of 2^k
  (0.06 / 0.064 / 0.0625, 0.03 / 0.032) share one step. A strict "<x" is read as "<=" one
  dilution lower and ">x" as ">=" one dilution higher, as AMRIE does ("<8" -> "<=4").
* amr reading (policy `value_reading: amr`): AMR 3.0.0 as.mic() cleaning, only AMR's valid MIC
  levels (data/amr_mic_levels.yaml), CLSI values moved to the next log2 level with AMR's ">x"
  offset (operator dropped when moved), and as.disk() (ceiling; 51-99 mm -> 50; else NA).
"""

from __future__ import annotations

import duckdb

from amrwatch.interpret.data import read_yaml

#: log2 tolerance: 0.064 and 0.06 are both the 2^-4 dilution (0.0625); 0.07 is the next one up.
STEP_SQL = "CAST(ceil(log2({x}) - 0.07) AS INTEGER)"


def register_levels(con: duckdb.DuckDBPyConnection) -> None:
    levels = read_yaml("amr_mic_levels.yaml")["levels"]
    con.execute("CREATE OR REPLACE TABLE amr_levels AS SELECT unnest($l) AS level", {"l": levels})


def read_sql(clsi: bool, mic_range: tuple[float, float], disk_range: tuple[float, float],
             reading: str = "amrwatch") -> str:
    """SQL over `vals` giving the parsed columns for one guideline (the amr reading only when
    `reading` is "amr", as its regular expressions cost more)."""
    return _READ_SQL.format(
        step_num=STEP_SQL.format(x="num"), clsi="TRUE" if clsi else "FALSE",
        amr="TRUE" if reading == "amr" else "FALSE",
        mic_lo=mic_range[0], mic_hi=mic_range[1], disk_lo=disk_range[0], disk_hi=disk_range[1])


_READ_SQL = r"""
WITH clean AS (
  SELECT value_id, method, value,
    -- amrwatch: unify signs and decimal commas, drop units and blanks
    regexp_replace(replace(replace(replace(replace(replace(lower(trim(value)),
      '≤', '<='), '≥', '>='), '=<', '<='), '=>', '>='), ',', '.'),
      '\s+|mg/l|µg/ml|μg/ml|ug/ml|mcg/ml|mm', '', 'g') AS text
  FROM vals),
parsed AS (
  SELECT *, regexp_extract(text, '^(<=|>=|<|>|=)?([0-9]*\.?[0-9]+)(/[0-9]*\.?[0-9]+)?$', 1) AS op_raw,
    TRY_CAST(regexp_extract(text, '^(<=|>=|<|>|=)?([0-9]*\.?[0-9]+)(/[0-9]*\.?[0-9]+)?$', 2) AS DOUBLE) AS num
  FROM clean),
amr_mic AS (
  -- AMR as.mic(): the same cleaning steps, then membership of the valid level set
  SELECT value_id, ops AS amr_op, CASE WHEN ops IN ('<', '<=', '', '>=', '>')
      AND x IN (SELECT level FROM amr_levels) THEN CAST(x AS DOUBLE) END AS amr_level
  FROM (
    SELECT value_id, trim(regexp_replace(t, '[^<=>]', '', 'g')) AS ops,
      regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
        regexp_replace(regexp_replace(trim(regexp_replace(t, '[<=>]', '', 'g')),
        '([^0-9]|^)\.', '\10.', 'g'), '.*\..*\.', '0.'), '\.+0$', ''), '[^0-9]+$', ''),
        '^0+\.', '0.'), '(\.[0-9]*?)0+$', '\1'), '\.$', ''), '^0+([0-9])', '\1') AS x
    FROM (SELECT value_id, regexp_replace(replace(replace(regexp_replace(regexp_replace(
             replace(replace(replace(trim(value), ',', '.'), '≤', '<='), '≥', '>='),
             '([0-9])/.*[0-9].*$', '\1'), '[^a-zA-Z0-9.><= -]+', '', 'g'),
             '=<', '<='), '=>', '>='), '^=+', '') AS t
          FROM vals WHERE method = 'MIC' AND {amr}) s0
  ) s1),
amr_clsi AS (
  -- AMR as.sir() for CLSI: move to the smallest 2^k (k = -9..12) >= x (+/- 1e-7 for '>x'/'<x');
  -- the operator of the value as read (amr_op) still decides the capped-value rules
  SELECT value_id, amr_op, amr_level,
    (SELECT min(p) FROM (SELECT 2.0 ** k AS p FROM range(-9, 13) r(k)) WHERE p >= amr_level
        + CASE amr_op WHEN '>' THEN 1e-7 WHEN '<' THEN -1e-7 ELSE 0 END) AS level2
  FROM amr_mic),
amr_disk AS (
  SELECT value_id, CASE WHEN z BETWEEN 0 AND 99 THEN least(z, 50) END AS amr_zone
  FROM (SELECT value_id, CAST(ceil(TRY_CAST(nullif(regexp_replace(regexp_replace(
          replace(trim(value), ',', '.'), '[.]$', ''), '[^0-9.]+', '', 'g'), '') AS DOUBLE)) AS INTEGER) AS z
        FROM vals WHERE method = 'DISK' AND {amr})),
amrwatch AS (
  SELECT *, CASE WHEN op_raw = '=' THEN '' ELSE op_raw END AS op,
    CASE
      WHEN value IS NULL OR text = '' THEN 'missing_value'
      WHEN num IS NULL THEN 'unparseable_value'
      WHEN method = 'MIC' AND NOT (num > {mic_lo} AND num <= {mic_hi}) THEN 'value_out_of_range'
      WHEN method = 'DISK' AND NOT (num >= {disk_lo} AND num <= {disk_hi}) THEN 'value_out_of_range'
    END AS value_reason
  FROM parsed)
SELECT a.value_id, a.op,
  CASE WHEN a.value_reason IS NULL AND a.method = 'MIC' THEN {step_num}
       + CASE a.op WHEN '<' THEN -1 WHEN '>' THEN 1 ELSE 0 END END AS step,
  CASE a.op WHEN '<' THEN '<=' WHEN '>' THEN '>=' ELSE a.op END AS op_inclusive,
  CASE WHEN a.value_reason IS NULL AND a.method = 'DISK' THEN a.num END AS zone,
  a.value_reason,
  c.amr_op,
  CASE WHEN a.method = 'DISK' THEN CAST(d.amr_zone AS DOUBLE)
       WHEN {clsi} THEN c.level2 ELSE c.amr_level END AS amr_value,
  -- AMR compares MIC objects with "<x" as x - 1e-6 and ">x" as x + 1e-6 (Ops.mic); under CLSI
  -- every strict or off-level value is replaced by its plain log2 level first
  CASE WHEN a.method = 'DISK' THEN CAST(d.amr_zone AS DOUBLE)
       WHEN {clsi} THEN c.level2
       ELSE c.amr_level + CASE c.amr_op WHEN '>' THEN 1e-6 WHEN '<' THEN -1e-6 ELSE 0 END
  END AS amr_compare,
  CASE WHEN a.value IS NULL OR trim(a.value) = '' THEN 'missing_value'
       WHEN a.method = 'MIC' AND (c.amr_level IS NULL OR ({clsi} AND c.level2 IS NULL)) THEN 'unparseable_value'
       WHEN a.method = 'DISK' AND d.amr_zone IS NULL THEN 'unparseable_value' END AS amr_reason
FROM amrwatch a LEFT JOIN amr_clsi c USING (value_id) LEFT JOIN amr_disk d USING (value_id)
"""
