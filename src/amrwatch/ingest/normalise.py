"""Reader output -> validated ISOLATE rows: dates, ages, codes, organisms, pseudonyms, ids.

Takes a `RawUpload` (the lab's fields as text, one row per candidate isolate) and the upload's
`Context`; gives the accepted isolates (schema `amrwatch.schemas.ISOLATE`) and records every
problem in `Issues`. A row is rejected (error) only when it cannot be a surveillance isolate:
no specimen date or organism, an impossible date, or an exact repeat of an earlier row. All
other problems are warnings: the row is kept with the doubtful value set to unknown.
Names, birth dates and comments never leave this module; the patient id leaves as a pseudonym.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from amrwatch.ingest.codemaps import map_codes
from amrwatch.ingest.dates import infer_order, parse_dates
from amrwatch.ingest.duplicates import duplicate_rows, in_memory_duckdb, rank_in_group
from amrwatch.ingest.pseudonymise import pseudonymise
from amrwatch.ingest.registry import IDENTIFIER_FIELDS, RawUpload
from amrwatch.ingest.report import Issues, reasons
from amrwatch.ingest.values import MAX_AGE, parse_ages
from amrwatch.schemas import ISOLATE

#: AMR's id for "(unknown organism)".
UNKNOWN_ORGANISM = "UNKNOWN"
#: Days after admission from which a specimen is hospital-onset (glass.md §3: day 3 or later).
HOSPITAL_ONSET_DAYS = 2


@dataclass
class Context:
    lab_code: str
    country: str
    key: bytes
    today: dt.date
    date_order: str | None = None
    date_format: str | None = None
    value_maps: dict[str, dict[str, str]] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)


class Frame:
    """The reader's fields with a null column for every field the reader did not give."""

    def __init__(self, raw: RawUpload) -> None:
        self.table = raw.fields
        self.columns = raw.columns

    def __getitem__(self, name: str) -> pa.ChunkedArray:
        if name in self.table.column_names:
            return self.table.column(name)
        return pa.chunked_array([pa.nulls(self.table.num_rows, pa.string())])

    def where(self, name: str) -> str:
        """The column name the lab used for a field, for issue locations."""
        return self.columns.get(name, name)


def build_isolates(raw: RawUpload, ctx: Context, issues: Issues) -> pa.Table:
    """Validated, pseudonymised isolates of the accepted rows (schema ISOLATE)."""
    frame = _with_defaults(Frame(raw), ctx)
    # The pseudonyms (half a million HMACs in DuckDB, outside the GIL) are made in a second
    # thread while this one checks the rest.
    with ThreadPoolExecutor(1) as pool:
        keys = pool.submit(pseudonymise, frame["patient_id"], ctx.key)
        return _build(raw, frame, keys, ctx, issues)


def _build(raw: RawUpload, frame: Frame, keys: Future, ctx: Context,
           issues: Issues) -> pa.Table:
    _report_identifiers(frame, issues)
    rows = frame["source_row"]
    order = ctx.date_order or raw.date_order or infer_order(
        frame["specimen_date"], frame["admission_date"])
    specimen_date, rejected = _specimen_dates(frame, order, ctx, issues)
    rejected = pc.or_(rejected, _missing(frame, "organism", issues))
    rejected = pc.or_(rejected, duplicate_rows(raw, issues))
    _missing_patient_ids(frame, issues)
    columns = {
        "lab_code": pa.repeat(pa.scalar(ctx.lab_code), len(rows)),
        "country": pa.repeat(pa.scalar(ctx.country), len(rows)),
        "specimen_date": specimen_date,
        **_specimen(frame, ctx, issues),
        "origin": _origin(frame, specimen_date, order, ctx, issues),
        "age_years": _ages(frame, specimen_date, order, ctx, issues),
        "sex": _coded(frame, "sex", ctx, issues),
        "ward_type": frame["ward_type"],
        "organism_raw": frame["organism"],
        "source_row": rows,
    }
    accepted = pc.invert(rejected)
    table, accepted_raw = _kept(pa.table(columns), accepted), _kept(raw.fields, accepted)
    table, isolates = _with_organisms(table, frame.where("organism"), issues)
    table, accepted_raw = _kept(table, isolates), _kept(accepted_raw, isolates)
    # The pseudonyms are waited for only now, when nothing else is left to do.
    pseudonyms = _kept(_kept(pa.table({"patient_key": keys.result()}), accepted), isolates)
    table = table.append_column("patient_key", pseudonyms["patient_key"])
    table = table.append_column("isolate_id", _isolate_ids(table, accepted_raw, issues))
    return table.select(ISOLATE.names).cast(ISOLATE)


def _kept(table: pa.Table, mask: pa.Array) -> pa.Table:
    """The rows where mask is true; the table itself when that is every row (filtering a
    million rows of 64-digit pseudonyms costs a tenth of a second for nothing)."""
    if mask.null_count == 0 and pc.all(mask).as_py():
        return table
    return table.filter(mask)


def _with_defaults(frame: Frame, ctx: Context) -> Frame:
    """Fill empty cells of a field with the mapping's default (e.g. every row is urine)."""
    for name, value in ctx.defaults.items():
        filled = pc.fill_null(frame[name], pa.scalar(str(value)))
        table = frame.table
        if name in table.column_names:
            table = table.set_column(table.column_names.index(name), name, filled)
        else:
            table = table.append_column(name, filled)
        frame.table = table
    return frame


def _report_identifiers(frame: Frame, issues: Issues) -> None:
    for name in IDENTIFIER_FIELDS:
        count = pc.count(frame[name]).as_py()
        if count:
            what = "pseudonymised" if name == "patient_id" else "dropped"
            issues.add("identifier_removed", column=frame.where(name), value=f"{count} values",
                       message=f"{name.replace('_', ' ')} {what} ({count} values)")


def _specimen_dates(frame: Frame, order: str | None, ctx: Context,
                    issues: Issues) -> tuple[pa.Array, pa.Array]:
    dates, reasons = parse_dates(frame["specimen_date"], order, ctx.today, ctx.date_format)
    bad = pc.is_valid(reasons)
    for reason in pc.unique(reasons.filter(bad)).to_pylist():
        mask = pc.equal(reasons, reason)
        issues.add_many(reason, frame["source_row"].filter(mask), frame.where("specimen_date"),
                        frame["specimen_date"].filter(mask),
                        f"specimen date: {_meaning(reason)}; row rejected")
    return dates, pc.or_(bad, _missing(frame, "specimen_date", issues))


def _meaning(reason: str) -> str:
    return reasons()[reason]["meaning"].lower()


def _missing(frame: Frame, name: str, issues: Issues) -> pa.Array:
    empty = pc.is_null(frame[name])
    issues.add_many("missing_required", frame["source_row"].filter(empty), frame.where(name),
                    None, f"{name.replace('_', ' ')} is empty; row rejected")
    return empty.combine_chunks()


def _missing_patient_ids(frame: Frame, issues: Issues) -> None:
    ids = frame["patient_id"]
    issues.add_many("missing_patient_id", frame["source_row"].filter(pc.is_null(ids)),
                    frame.where("patient_id"), None)


def _coded(frame: Frame, name: str, ctx: Context, issues: Issues) -> pa.Array:
    values, unknown = map_codes(frame[name], name, ctx.value_maps.get(name))
    issues.add_many("unknown_code", frame["source_row"].filter(unknown), frame.where(name),
                    frame[name].filter(unknown), f"{name.replace('_', ' ')} code not recognised")
    return values


def _specimen(frame: Frame, ctx: Context, issues: Issues) -> dict[str, pa.Array]:
    return {"specimen_type": _coded(frame, "specimen_type", ctx, issues),
            "specimen_type_raw": frame["specimen_type"]}


def _other_date(frame: Frame, name: str, order: str | None, ctx: Context,
                issues: Issues) -> pa.Array:
    """A date that only feeds a derived value: a bad one is a warning, and never quoted back
    for the birth date (it identifies the patient)."""
    dates, reasons = parse_dates(frame[name], order, ctx.today, ctx.date_format)
    bad = pc.is_valid(reasons)
    for reason in pc.unique(reasons.filter(bad)).to_pylist():
        mask = pc.equal(reasons, reason)
        values = None if name == "birth_date" else frame[name].filter(mask)
        issues.add_many(reason, frame["source_row"].filter(mask), frame.where(name), values,
                        f"{name.replace('_', ' ')}: {_meaning(reason)}; ignored",
                        severity="warning")
    return dates


def _origin(frame: Frame, specimen_date: pa.Array, order: str | None, ctx: Context,
            issues: Issues) -> pa.Array:
    """The lab's origin code; else from the admission date (hospital when sampled 2 or more days
    after admission, glass.md §3); else community for an outpatient; else unknown."""
    given = _coded(frame, "origin", ctx, issues)
    admitted = _other_date(frame, "admission_date", order, ctx, issues)
    days = pc.days_between(admitted, specimen_date)
    derived = pc.if_else(pc.greater_equal(days, HOSPITAL_ONSET_DAYS), "hospital", "community")
    kind, _ = map_codes(pc.coalesce(frame["patient_type"], frame["ward_type"]), "patient_type")
    derived = pc.coalesce(derived, pc.if_else(pc.equal(kind, "outpatient"), "community",
                                              pa.scalar(None, pa.string())))
    return pc.if_else(pc.and_(pc.is_null(frame["origin"]), pc.is_valid(derived)), derived, given)


def _ages(frame: Frame, specimen_date: pa.Array, order: str | None, ctx: Context,
          issues: Issues) -> pa.Array:
    """Age in years: the lab's age, else completed years from birth to specimen date."""
    years, readable = parse_ages(frame["age"])
    rows = frame["source_row"]
    unreadable = pc.invert(readable)
    issues.add_many("unparseable_age", rows.filter(unreadable), frame.where("age"),
                    frame["age"].filter(unreadable))
    birth = _other_date(frame, "birth_date", order, ctx, issues)
    if birth.null_count < len(birth):  # most exports have no birth dates (or drop them)
        years = pc.coalesce(years, completed_years(birth, specimen_date))
    implausible = pc.fill_null(pc.or_(pc.less(years, 0), pc.greater(years, MAX_AGE)), False)
    if not pc.any(implausible).as_py():
        return years
    # The value is the computed age, never the birth date it may come from.
    issues.add_many("implausible_age", rows.filter(implausible), frame.where("age"),
                    pc.cast(years.filter(implausible), pa.string()))
    return pc.if_else(implausible, pa.scalar(None, pa.float64()), years)


def completed_years(birth: pa.Array, on: pa.Array) -> pa.Array:
    years = pc.subtract(pc.year(on), pc.year(birth))
    before_birthday = pc.less(
        pc.add(pc.multiply(pc.month(on), 100), pc.day(on)),
        pc.add(pc.multiply(pc.month(birth), 100), pc.day(birth)),
    )
    return pc.cast(pc.subtract(years, pc.cast(before_birthday, pa.int64())), pa.float64())


def _with_organisms(table: pa.Table, column: str, issues: Issues) -> tuple[pa.Table, pa.Array]:
    """The table with `mo` and `organism_score`, and which rows are isolates at all: a culture
    result such as "no growth" is rejected (`not_an_isolate`), an unknown name is kept."""
    from amrwatch.codes import resolve_organisms

    match = resolve_organisms(table["organism_raw"], columns=["mo", "score", "uncertain",
                                                               "reason"])
    rows, raw = table["source_row"], table["organism_raw"]
    no_organism = pc.equal(match["reason"], "unresolved_not_organism")
    issues.add_many("not_an_isolate", rows.filter(no_organism), column,
                    raw.filter(no_organism), "a culture result, not an organism; row rejected")
    # AMR's "UNKNOWN" id (e.g. WHONET 'oth') names no organism: as good as unresolved.
    unresolved = pc.and_(pc.fill_null(pc.equal(match["mo"], UNKNOWN_ORGANISM), True),
                         pc.invert(no_organism))
    issues.add_many("unknown_organism", rows.filter(unresolved), column, raw.filter(unresolved),
                    "organism not recognised; kept as unknown")
    doubtful = pc.and_(pc.invert(unresolved), match["uncertain"])
    issues.add_many("uncertain_organism", rows.filter(doubtful), column,
                    raw.filter(doubtful), "organism resolved by a guess; check it")
    table = table.append_column("mo", match["mo"]).append_column("organism_score", match["score"])
    return table, pc.invert(no_organism)


def _isolate_ids(table: pa.Table, raw: pa.Table, issues: Issues) -> pa.Array:
    """The lab's isolate id, else specimen number / isolate number (or organism), else a digest
    of pseudonym, date, specimen and organism; repeats within the file get #2, #3 ..."""
    from_specimen = pc.binary_join_element_wise(
        _column(raw, "specimen_number"),
        pc.coalesce(_column(raw, "isolate_number"), table["organism_raw"]), "/")
    ids = pc.coalesce(_column(raw, "isolate_id"), from_specimen).combine_chunks()
    if ids.null_count:
        ids = pc.coalesce(ids, _digest_ids(table))
    if not _may_repeat(ids):  # numbering a million ids costs half a second; most have none
        return ids
    rank = rank_in_group(pc.dictionary_encode(ids).indices.to_numpy())
    repeated = pa.array(rank > 1)
    issues.add_many("duplicate_isolate", table["source_row"].filter(repeated), "isolate id",
                    ids.filter(repeated), "isolate id repeats an earlier row; numbered #n")
    if not (rank > 1).any():
        return ids
    suffix = pa.array(np.char.add("#", rank.astype(str)))
    return pc.if_else(repeated, pc.binary_join_element_wise(ids, suffix, ""), ids)


def _may_repeat(ids: pa.Array) -> bool:
    """False when no two ids are equal for sure: no two of their 64-bit digests (DuckDB
    `hash`) are equal. True means some may be, and they are then compared exactly."""
    if len(ids) < 2:
        return False
    con = in_memory_duckdb()
    con.register("ids", pa.table({"id": ids}))
    digests = np.sort(con.sql("SELECT hash(id) AS h FROM ids").to_arrow_table()["h"].to_numpy())
    con.close()
    return bool((digests[1:] == digests[:-1]).any())


def _digest_ids(table: pa.Table) -> pa.Array:
    """'h' + 20 hex digits of sha256(pseudonym|date|specimen|organism), for rows without ids."""
    con = in_memory_duckdb()
    con.register("parts", table.select(["patient_key", "specimen_date", "specimen_type_raw",
                                        "organism_raw"]))
    digests = con.sql(
        "SELECT 'h' || left(sha256(concat_ws('|', patient_key, specimen_date::VARCHAR, "
        "specimen_type_raw, organism_raw)), 20) AS id FROM parts").to_arrow_table()["id"]
    con.close()
    return digests.combine_chunks()


def _column(table: pa.Table, name: str) -> pa.ChunkedArray:
    if name in table.column_names:
        return table.column(name)
    return pa.chunked_array([pa.nulls(table.num_rows, pa.string())])
