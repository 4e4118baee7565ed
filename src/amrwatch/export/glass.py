"""WHO GLASS-AMR files: aggregated RIS and SAMPLE, and individual-level AMR-I (shared/specs/glass.md).

Takes a long results table (one row per isolate × antimicrobial, as `Store.isolate_results()` gives:
country, lab_code, isolate_id, patient_key, specimen_date, specimen_type, origin, age_years, sex,
mo, ab, sir, reason, guideline, method, value_raw, potency) plus the country, year and batch;
gives the three GLASS tables, and `write_glass()` writes them as `<TYPE>_<ISO3>_<YEAR>_<BATCH>.csv`.

Counting rules (glass.md §3, each a named step): only isolates of the country and calendar year
whose specimen and organism map to GLASS codes; one isolate per patient × specimen × pathogen
and year, the first by specimen date with any AST result (`deduplicate`); one category per
isolate × drug (the most resistant when several methods were used); only interpreted results
count as R/I/NS/S, results without a breakpoint go to UNKNOWN_NO_BREAKPOINTS by their
interpretation reason, and isolates without a result for the drug to UNKNOWN_NO_AST, so every
RIS row adds up to the isolates of its stratum.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from amrwatch.analyse import isolates, strata
from amrwatch.errors import ConfigurationError, InputError
from amrwatch.export import glass_codes

MODULES = ("ris", "sample", "amr-i")
FILE_TYPES = {"ris": "RIS", "sample": "SAMPLE", "amr-i": "AMR-I"}


def _optional(table: pa.Table, names: tuple[str, ...]) -> str:
    found = next((n for n in names if n in table.column_names), None)
    return f"CAST({strata.q(found)} AS VARCHAR)" if found else "NULL"


def _stratum(table: pa.Table, name: str) -> str:
    """The column of stratum `name` as text, or NULL when the table has none (written as UNK)."""
    try:
        return f"CAST(r.{strata.q(strata.column_for(table, name))} AS VARCHAR)"
    except InputError:
        return "NULL"


def _base_sql(table: pa.Table) -> str:
    """One normalised row per result: GLASS codes for specimen, pathogen, sex, origin, age group."""
    date = strata.q(isolates.find_column(table, "date", None))
    patient = strata.q(isolates.find_column(table, "patient", None))
    organism = strata.q(isolates.find_column(table, "organism", None))
    return f"""
        SELECT CAST({strata.q(strata.column_for(table, 'country'))} AS VARCHAR) AS country,
               {_optional(table, ('lab_code', 'lab'))} AS lab_code,
               CAST(isolate_id AS VARCHAR) AS isolate_id, CAST({patient} AS VARCHAR) AS patient,
               TRY_CAST({date} AS DATE) AS sample_date,
               sp.code AS SPECIMEN, pa.PATHOGEN, coalesce(ge.code, 'UNK') AS GENDER,
               coalesce(og.code, 'UNK') AS ORIGIN,
               {_age_group(table)} AS AGEGROUP, TRY_CAST({_stratum(table, 'age')} AS DOUBLE) AS age,
               upper(trim(CAST(ab AS VARCHAR))) AS ab, upper(trim(CAST(sir AS VARCHAR))) AS sir,
               {_optional(table, ('reason',))} AS reason, {_optional(table, ('guideline',))} AS guideline,
               {_optional(table, ('method',))} AS method, {_optional(table, ('value_raw', 'value'))} AS value_raw,
               {_optional(table, ('potency',))} AS potency, {_optional(table, ('ward_type', 'ward'))} AS ward
        FROM results r
        LEFT JOIN specimens sp ON sp.source = {_stratum(table, 'specimen')}
        LEFT JOIN pathogens pa ON pa.mo = r.{organism}
        LEFT JOIN genders ge ON ge.source = {_stratum(table, 'sex')}
        LEFT JOIN origins og ON og.source = {_stratum(table, 'origin')}"""


def _age_group(table: pa.Table) -> str:
    try:
        return strata.age_group_sql(strata.column_for(table, "age"))
    except InputError:
        return "'UNK'"


def _connect(table: pa.Table, country: str, year: int) -> duckdb.DuckDBPyConnection:
    if not isolates.is_long(table):
        table = isolates.to_long(table)
    con = duckdb.connect()
    con.register("results", table)
    for name in ("specimens", "genders", "origins"):
        con.register(name, glass_codes.mapping(name))
    con.register("pathogens", glass_codes.pathogen_of_mo())
    con.register("allow", glass_codes.allow_list())
    spec = glass_codes.spec()
    con.register("categories", pa.table({
        "sir": list(spec["sir_columns"]), "col": list(spec["sir_columns"].values())}))
    con.register("reasons", pa.table({
        "reason": list(spec["reason_columns"]), "col": list(spec["reason_columns"].values())}))
    con.register("severity", pa.table({
        "col": spec["severity"], "rank": list(range(len(spec["severity"])))}))
    con.execute(f"CREATE TEMP TABLE base AS SELECT * FROM ({_base_sql(table)}) "
                "WHERE country = ? AND year(sample_date) = ?", [country, year]).fetchall()
    deduplicate(con)
    return con


#: Names usable in `deduplication.keys` of glass.yaml, and their columns.
DEDUPLICATION_KEYS = {"patient": "patient", "specimen": "SPECIMEN", "pathogen": "PATHOGEN"}


def deduplicate(con: duckdb.DuckDBPyConnection) -> None:
    """GLASS de-duplication: first isolate with AST per patient × specimen × pathogen in the year.

    The keys are data (`deduplication.keys` in glass.yaml), so a programme that de-duplicates per
    patient × pathogen regardless of specimen changes one line, not code.
    """
    keys = glass_codes.spec()["deduplication"]["keys"]
    unknown = [k for k in keys if k not in DEDUPLICATION_KEYS]
    if unknown:
        raise ConfigurationError("Unknown GLASS de-duplication key", {"keys": ", ".join(unknown)},
                                 hint=f"use {', '.join(DEDUPLICATION_KEYS)}")
    partition = ", ".join(DEDUPLICATION_KEYS[k] for k in keys)
    con.sql(f"""
        CREATE TEMP TABLE kept AS
        SELECT * EXCLUDE (n) FROM (
            SELECT lab_code, isolate_id, patient, SPECIMEN, PATHOGEN, any_value(sample_date) AS sample_date,
                   any_value(GENDER) AS GENDER, any_value(ORIGIN) AS ORIGIN,
                   any_value(AGEGROUP) AS AGEGROUP, any_value(age) AS age, any_value(ward) AS ward,
                   row_number() OVER (PARTITION BY {partition}
                                      ORDER BY any_value(sample_date), lab_code, isolate_id) AS n
            FROM base WHERE SPECIMEN IS NOT NULL AND PATHOGEN IS NOT NULL
              AND (sir IS NOT NULL OR reason IS NOT NULL)
            GROUP BY lab_code, isolate_id, patient, SPECIMEN, PATHOGEN)
        WHERE n = 1""").fetchall()
    con.sql("""
        CREATE TEMP TABLE graded AS
        SELECT b.lab_code, b.isolate_id, b.ab AS ANTIBIOTIC,
               arg_min(coalesce(c.col, rs.col), s.rank) AS col,
               arg_min(b.sir, s.rank) AS sir, arg_min(b.guideline, s.rank) AS guideline,
               arg_min(b.method, s.rank) AS method, arg_min(b.value_raw, s.rank) AS value_raw,
               arg_min(b.potency, s.rank) AS potency
        FROM base b JOIN kept k ON k.lab_code IS NOT DISTINCT FROM b.lab_code AND k.isolate_id = b.isolate_id
        LEFT JOIN categories c ON c.sir = b.sir
        LEFT JOIN reasons rs ON b.sir IS NULL AND rs.reason = b.reason
        JOIN severity s ON s.col = coalesce(c.col, rs.col)
        JOIN allow a ON a.SPECIMEN = k.SPECIMEN AND a.PATHOGEN = k.PATHOGEN AND a.ANTIBIOTIC = b.ab
        GROUP BY ALL""").fetchall()


def ris(con: duckdb.DuckDBPyConnection, country: str, year: int, batch: str) -> pa.Table:
    """RIS rows: counts per stratum × antibiotic; every row sums to the isolates of its stratum."""
    counted = ", ".join(
        f"count(*) FILTER (WHERE g.col = '{c}') AS {c}" for c in glass_codes.spec()["columns"]["counts"]
        if c != "UNKNOWN_NO_AST")
    return con.sql(f"""
        WITH drugs AS (SELECT DISTINCT k.SPECIMEN, k.PATHOGEN, g.ANTIBIOTIC FROM graded g
                       JOIN kept k ON k.lab_code IS NOT DISTINCT FROM g.lab_code AND k.isolate_id = g.isolate_id)
        SELECT ? AS COUNTRY, ? AS YEAR, k.SPECIMEN, k.PATHOGEN, k.GENDER, k.ORIGIN, k.AGEGROUP,
               d.ANTIBIOTIC, {counted},
               count(*) FILTER (WHERE g.col IS NULL) AS UNKNOWN_NO_AST, ? AS BATCHID
        FROM kept k JOIN drugs d ON d.SPECIMEN = k.SPECIMEN AND d.PATHOGEN = k.PATHOGEN
        LEFT JOIN graded g ON g.lab_code IS NOT DISTINCT FROM k.lab_code AND g.isolate_id = k.isolate_id
             AND g.ANTIBIOTIC = d.ANTIBIOTIC
        GROUP BY ALL ORDER BY ALL""", params=[country, year, batch]).to_arrow_table().select(
        glass_codes.spec()["columns"]["RIS"])


def sample(con: duckdb.DuckDBPyConnection, country: str, year: int, batch: str) -> pa.Table:
    """SAMPLE rows: patients with an isolate of the specimen (all organisms) and with a GLASS pathogen.

    amrwatch receives isolates, not negative cultures, so NUMSAMPLEDPATIENTS counts patients with
    at least one isolate from that specimen type: a lower bound of the patients sampled.
    """
    return con.sql("""
        SELECT ? AS COUNTRY, ? AS YEAR, SPECIMEN, GENDER, ORIGIN, AGEGROUP, ? AS BATCHID,
               count(DISTINCT patient) AS NUMSAMPLEDPATIENTS,
               count(DISTINCT patient) FILTER (WHERE PATHOGEN IS NOT NULL) AS NUMINFECTED
        FROM base WHERE SPECIMEN IS NOT NULL GROUP BY ALL ORDER BY ALL""",
                   params=[country, year, batch]).to_arrow_table().select(glass_codes.spec()["columns"]["SAMPLE"])


def amr_i(con: duckdb.DuckDBPyConnection, country: str, year: int) -> pa.Table:
    """AMR-I rows: one per de-duplicated isolate × allowed antibiotic with an AST result."""
    return con.sql("""
        SELECT ? AS COUNTRY, ? AS YEAR, k.lab_code AS HCF_ID, NULL AS HCF_TYPE,
               coalesce(k.ward, 'UNK') AS HOSPITALUNITTYPE, k.patient AS PATIENT_ID,
               CAST(floor(k.age) AS INTEGER) AS AGE, k.GENDER,
               CASE k.ORIGIN WHEN 'HO' THEN 'INPATIENT' ELSE 'UNK' END AS PATIENTTYPE,
               NULL AS DATEOFHOSPITALISATION_VISIT, k.lab_code AS LABORATORYCODE,
               strftime(k.sample_date, '%Y-%m-%d') AS SAMPLE_DATE, k.isolate_id AS ISOLATE_ID,
               k.SPECIMEN, dense_rank() OVER (ORDER BY k.patient) AS PATIENTCOUNTER, k.PATHOGEN,
               g.ANTIBIOTIC, g.sir AS SIR, g.guideline AS REFERENCEGUIDELINESSIR,
               CASE WHEN upper(g.method) = 'DISK' THEN g.potency END AS DISKLOAD,
               NULL AS RESULTETESTSIGN, NULL AS RESULTETESTVALUE, NULL AS RESULTETESTSIR,
               CASE WHEN upper(g.method) = 'DISK' THEN TRY_CAST(g.value_raw AS DOUBLE) END AS RESULTZONEVALUE,
               CASE WHEN upper(g.method) = 'DISK' THEN g.sir END AS RESULTZONESIR,
               CASE WHEN upper(g.method) <> 'DISK' THEN regexp_extract(g.value_raw, '^\\s*([<>]?=?)', 1) END
                    AS RESULTMICSIGN,
               CASE WHEN upper(g.method) <> 'DISK' THEN TRY_CAST(regexp_extract(g.value_raw,
                    '([0-9.]+)', 1) AS DOUBLE) END AS RESULTMICVALUE,
               CASE WHEN upper(g.method) <> 'DISK' THEN g.sir END AS RESULTMICSIR
        FROM kept k JOIN graded g ON g.lab_code IS NOT DISTINCT FROM k.lab_code AND g.isolate_id = k.isolate_id
        ORDER BY PATIENTCOUNTER, SAMPLE_DATE, ISOLATE_ID, ANTIBIOTIC""",
                   params=[country, year]).to_arrow_table().select(glass_codes.spec()["columns"]["AMR-I"])


def glass_tables(table: pa.Table, country: str, year: int, batch: str = "DS1",
                 modules: tuple[str, ...] = MODULES) -> dict[str, pa.Table]:
    """The requested GLASS tables for one country and year ({"ris": …, "sample": …, "amr-i": …})."""
    _check_arguments(country, year, batch, modules)
    con = _connect(table, country, year)
    if con.execute("SELECT count(*) FROM base").fetchall()[0][0] == 0:
        raise InputError("No isolates of this country and year", {"country": country, "year": year},
                         hint="check --country (ISO 3166-1 alpha-3) and --year against your data")
    builders = {"ris": lambda: ris(con, country, year, batch),
                "sample": lambda: sample(con, country, year, batch),
                "amr-i": lambda: amr_i(con, country, year)}
    return {module: builders[module]() for module in modules}


def _check_arguments(country: str, year: int, batch: str, modules: tuple[str, ...]) -> None:
    if len(country) != 3 or not country.isalpha() or not country.isupper():
        raise ConfigurationError("Country must be an ISO 3166-1 alpha-3 code", {"country": country},
                                 hint="e.g. ARG, BRA, MEX")
    if batch not in glass_codes.spec()["batches"]:
        raise ConfigurationError("Unknown GLASS batch", {"batch": batch}, hint="use DS1 … DS6")
    unknown = [m for m in modules if m not in MODULES]
    if unknown:
        raise ConfigurationError("Unknown GLASS module", {"module": ", ".join(unknown)},
                                 hint=f"use one of: {', '.join(MODULES)}")


def file_name(module: str, country: str, year: int, batch: str) -> str:
    """`<TYPE>_<COUNTRY>_<YEAR>_<BATCHID>.csv`, the GLASS bulk-upload naming (glass.md §1.1)."""
    return f"{FILE_TYPES[module]}_{country}_{year}_{batch}.csv"


def write_glass(tables: dict[str, pa.Table], out: Path, country: str, year: int,
                batch: str) -> list[Path]:
    """Write each table as CSV into `out`; gives the paths written."""
    import pyarrow.csv as pacsv

    Path(out).mkdir(parents=True, exist_ok=True)
    paths = []
    for module, table in tables.items():  # three files at most
        path = Path(out) / file_name(module, country, year, batch)
        # GLASS matches header names exactly: write them bare; quote values only when needed
        pacsv.write_csv(table, path, write_options=pacsv.WriteOptions(
            quoting_style="needed", quoting_header="none"))
        paths.append(path)
    return paths
