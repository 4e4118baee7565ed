"""The GLASS platform's upload checks, run locally before a country submits (glass.md §1.7, §2).

Takes a folder of GLASS files named `<TYPE>_<COUNTRY>_<YEAR>_<BATCHID>.<csv|tsv|xlsx>` (or one
file with the country, year and batch given); gives a table of problems, each with file, data
row, column, value, check id and the platform's own error text, so a data manager sees exactly
what the GLASS IT platform would say. Checks: V1 header, V2 specimen–pathogen–antibiotic
allow-list, V4 batch, V5 year, V6 country, V7 duplicate rows, V8 codes of the DHIS2 category
option combos, N1 counts are whole numbers ≥ 0 (amrwatch's own check: GLASS would read a blank as 0
and text as nothing), and for AMR-I the date checks I1–I4. V3 (all six counts empty) cannot fire on
a file the platform reads blanks of as 0 (glass.md §1.7) and is not run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from amrwatch.errors import InputError
from amrwatch.export import glass_codes
from amrwatch.tables import read_table

KINDS = ("RIS", "SAMPLE", "AMR-I")
SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx")
PROBLEM = pa.schema([("file", pa.string()), ("row", pa.int64()), ("column", pa.string()),
                     ("value", pa.string()), ("check", pa.string()), ("message", pa.string())])


@dataclass(frozen=True)
class Submission:
    """What the file is checked against: the selected country, year and batch."""

    kind: str
    country: str
    year: str
    batch: str


def submission_from_name(path: Path) -> Submission:
    """Parse `<TYPE>_<COUNTRY>_<YEAR>_<BATCHID>.ext` as the GLASS bulk-upload script does."""
    parts = path.name.split(".")[0].split("_")
    kind = "SAMPLE" if "SAMPLE" in path.name.upper() else parts[0].upper()
    if kind not in KINDS or len(parts) < 4:
        raise InputError("File name does not follow the GLASS pattern", {"file": str(path)},
                         hint="name it RIS_<ISO3>_<YEAR>_<DS1…DS6>.csv (SAMPLE_…, AMR-I_…), "
                              "or give --country, --year and --batch")
    return Submission(kind, parts[1], parts[2], parts[-1])


def read_glass_file(path: Path) -> pa.Table:
    """First sheet (xlsx) or the table (csv/tsv), every column as text, as the platform reads it."""
    if path.suffix.lower() != ".xlsx":
        return _read_text(path)
    from openpyxl import load_workbook

    sheet = load_workbook(path, read_only=True, data_only=True).worksheets[0]
    rows = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    if not rows:
        return pa.table({})
    header, body = rows[0], rows[1:]
    return pa.table({name: [r[i] if i < len(r) and r[i] != "" else None for r in body]
                     for i, name in enumerate(header)})


def _read_text(path: Path) -> pa.Table:
    """CSV/TSV with every column as text; the header may be quoted (spreadsheet exports quote it)."""
    import csv

    import pyarrow.csv as pacsv

    if not path.is_file():
        return read_table(path)  # raises the project's "File not found"
    delimiter = "\t" if path.suffix.lower() in (".tsv", ".txt") else ","
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle, delimiter=delimiter), [])
    try:
        return pacsv.read_csv(path, parse_options=pacsv.ParseOptions(delimiter=delimiter),
                              convert_options=pacsv.ConvertOptions(
                                  column_types={name: pa.string() for name in header},
                                  null_values=[""], strings_can_be_null=True))
    except pa.ArrowInvalid as error:
        raise InputError(f"Cannot read GLASS file: {error}", {"file": str(path)},
                         hint="save it as UTF-8 CSV with a header row") from error


def _problems(con: duckdb.DuckDBPyConnection, file: str, check: str, sql: str,
              template: str, **fixed: str) -> list[dict]:
    """Rows of `sql` (row, column, value + named fields) turned into problems with GLASS's text."""
    result = con.sql(sql).to_arrow_table().to_pylist()
    return [{"file": file, "row": r.pop("row"), "column": r.pop("column"), "value": r.get("value"),
             "check": check, "message": template.format(**fixed, **{k: "" if v is None else v
                                                                  for k, v in r.items()})}
            for r in result]


def validate_file(path: Path, submission: Submission | None = None) -> pa.Table:
    """All problems of one GLASS file (empty table = the file passes every check)."""
    path = Path(path)
    submission = submission or submission_from_name(path)
    table = read_glass_file(path)
    spec = glass_codes.spec()
    key = "AMR-I_required" if submission.kind == "AMR-I" else (
        "SAMPLE_required" if submission.kind == "SAMPLE" else "RIS")
    missing = [c for c in spec["columns"][key] if c not in table.column_names]
    if missing:
        return pa.Table.from_pylist([{
            "file": path.name, "row": None, "column": ", ".join(missing), "value": None,
            "check": "V1", "message": spec["messages"]["V1"] + f" (missing columns: {', '.join(missing)})",
        }], schema=PROBLEM)
    con = _connect(table)
    checks = {"RIS": _ris_checks, "SAMPLE": _sample_checks, "AMR-I": _individual_checks}
    found = checks[submission.kind](con, path.name, submission, table.column_names)
    return pa.Table.from_pylist(found, schema=PROBLEM)


def _connect(table: pa.Table) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.register("raw", table)
    con.execute("CREATE TEMP TABLE f AS SELECT row_number() OVER () AS row, * FROM raw").fetchall()
    con.register("allow", glass_codes.allow_list())
    spec = glass_codes.spec()
    for name, values in (("specimen_codes", list(spec["allow_list"])), ("gender_codes", spec["gender_codes"]),
                         ("origin_codes", spec["origin_codes"]), ("age_codes", spec["age_group_codes"]),
                         ("pathogen_codes", [p["code"] for p in spec["pathogens"]]),
                         ("batch_codes", spec["batches"])):
        con.register(name, pa.table({"code": values}))
    return con


def _common_checks(con, file: str, sub: Submission) -> list[dict]:
    """V4 batch, V5 year, V6 country: every row must equal the selected submission."""
    messages = glass_codes.spec()["messages"]
    return (
        _problems(con, file, "V4", f"SELECT row, 'BATCHID' AS column, BATCHID AS value, BATCHID FROM f "
                  f"WHERE BATCHID IS DISTINCT FROM '{sub.batch}'", messages["V4"], batch=sub.batch)
        + _problems(con, file, "V5", f"SELECT row, 'YEAR' AS column, YEAR AS value, YEAR FROM f "
                    f"WHERE trim(CAST(YEAR AS VARCHAR)) IS DISTINCT FROM '{sub.year}'",
                    messages["V5"], year=sub.year)
        + _problems(con, file, "V6", f"SELECT row, 'COUNTRY' AS column, COUNTRY AS value, COUNTRY FROM f "
                    f"WHERE COUNTRY IS DISTINCT FROM '{sub.country}'", messages["V6"],
                    country=sub.country))


def _count_checks(con, file: str, columns: Sequence[str]) -> list[dict]:
    """N1: counts must be whole numbers >= 0 (blank is read as 0 by the platform)."""
    message = glass_codes.spec()["messages"]["N1"]
    found = []
    for column in columns:  # six columns, each checked over all rows at once
        found += _problems(con, file, "N1", f"SELECT row, '{column}' AS column, \"{column}\" AS value FROM f "
                           f"WHERE \"{column}\" IS NOT NULL AND coalesce(TRY_CAST(trim(\"{column}\") AS BIGINT) "
                           f"< 0, true)", message)
    return found


def _duplicates(con, file: str, key: list[str]) -> list[dict]:
    """V7: rows sharing the key columns (the platform reports the combination once)."""
    cols = ", ".join(f'"{c}"' for c in key)
    combo = " || ', ' || ".join(f"coalesce(CAST(\"{c}\" AS VARCHAR), '')" for c in key)
    return _problems(con, file, "V7", f"""
        SELECT min(row) AS row, '{', '.join(key)}' AS column, {combo} AS value, {combo} AS combination
        FROM f GROUP BY {cols} HAVING count(*) > 1 ORDER BY row""",
                     glass_codes.spec()["messages"]["V7"])


def _combo_check(con, file: str, name: str, pairs: list[tuple[str, str]]) -> list[dict]:
    """V8: every code of a DHIS2 category option combo must exist in its option set."""
    wrong = " OR ".join(f'"{c}" IS NULL OR "{c}" NOT IN (SELECT code FROM {t})' for c, t in pairs)
    codes = " || ',' || ".join(f"coalesce(CAST(\"{c}\" AS VARCHAR), '')" for c, _ in pairs)
    return _problems(con, file, "V8", f"SELECT row, '{', '.join(c for c, _ in pairs)}' AS column, "
                     f"{codes} AS value, {codes} AS codes FROM f WHERE {wrong}",
                     glass_codes.spec()["messages"]["V8"], combo=name)


def _disaggregation(con, file: str) -> list[dict]:
    return _combo_check(con, file, "SPECIMEN, GENDER, ORIGIN, AGEGROUP", [
        ("SPECIMEN", "specimen_codes"), ("GENDER", "gender_codes"), ("ORIGIN", "origin_codes"),
        ("AGEGROUP", "age_codes")])


def _allow_list(con, file: str) -> list[dict]:
    """V2: (SPECIMEN, PATHOGEN, ANTIBIOTIC) must be on the platform's allow-list."""
    return _problems(con, file, "V2", """
        SELECT row, 'SPECIMEN, PATHOGEN, ANTIBIOTIC' AS column,
               SPECIMEN || ',' || PATHOGEN || ',' || ANTIBIOTIC AS value, SPECIMEN, PATHOGEN, ANTIBIOTIC
        FROM f WHERE NOT EXISTS (SELECT 1 FROM allow a WHERE a.SPECIMEN = f.SPECIMEN
              AND a.PATHOGEN = f.PATHOGEN AND a.ANTIBIOTIC = f.ANTIBIOTIC)""",
                     glass_codes.spec()["messages"]["V2"])


def _ris_checks(con, file: str, sub: Submission, names: list[str]) -> list[dict]:
    spec = glass_codes.spec()
    return (_count_checks(con, file, spec["columns"]["counts"]) + _allow_list(con, file)
            + _common_checks(con, file, sub) + _duplicates(con, file, spec["columns"]["duplicate_key_RIS"])
            + _disaggregation(con, file)
            + _combo_check(con, file, "PATHOGEN, ANTIBIOTIC, BATCHID", [
                ("PATHOGEN", "pathogen_codes"), ("BATCHID", "batch_codes")]))


def _sample_checks(con, file: str, sub: Submission, names: list[str]) -> list[dict]:
    counts = [c for c in ("NUMSAMPLEDPATIENTS", "NUMINFECTED") if c in names]
    return (_count_checks(con, file, counts) + _common_checks(con, file, sub)
            + _duplicates(con, file, glass_codes.spec()["columns"]["duplicate_key_SAMPLE"])
            + _disaggregation(con, file))


def _individual_checks(con, file: str, sub: Submission, names: list[str]) -> list[dict]:
    """AMR-I: dates (I1), country and year (I2), specimen-date year (I3), admission date (I4), V2."""
    from amrwatch.export.glass_individual import date_checks

    messages = glass_codes.spec()["messages"]
    found = date_checks(con, file)
    if found:
        return found  # the platform checks all dates before anything else
    return (found
            + _problems(con, file, "V6", f"SELECT row, 'COUNTRY' AS column, COUNTRY AS value, COUNTRY FROM f "
                        f"WHERE COUNTRY IS DISTINCT FROM '{sub.country}'", messages["V6"], country=sub.country)
            + _problems(con, file, "V5", f"SELECT row, 'YEAR' AS column, YEAR AS value, YEAR FROM f "
                        f"WHERE trim(CAST(YEAR AS VARCHAR)) IS DISTINCT FROM '{sub.year}'",
                        messages["V5"], year=sub.year)
            + _problems(con, file, "I3", "SELECT row, 'SAMPLE_DATE' AS column, SAMPLE_DATE AS value, "
                        "coalesce(SAMPLE_DATE, YEAR || '-01-01') AS date, YEAR FROM f "
                        "WHERE substr(coalesce(SAMPLE_DATE, YEAR || '-01-01'), 1, 4) <> trim(CAST(YEAR AS VARCHAR))",
                        messages["I3"])
            + _allow_list(con, file))


def validate_folder(folder: Path, country: str | None = None, year: str | None = None,
                    batch: str | None = None) -> pa.Table:
    """Problems of every GLASS file in `folder` (InputError when it holds none)."""
    folder = Path(folder)
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in SUFFIXES) if folder.is_dir() else [folder]
    if not files:
        raise InputError("No GLASS files found", {"folder": str(folder)},
                         hint="export them first with `amrwatch export glass`")
    found = []
    for path in files:  # a handful of files per submission
        sub = submission_from_name(path)
        sub = Submission(sub.kind, country or sub.country, str(year or sub.year), batch or sub.batch)
        found.append(validate_file(path, sub))
    return pa.concat_tables(found)
