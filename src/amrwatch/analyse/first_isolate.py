"""First isolates: one isolate per patient, species and episode, as CLSI M39 and the AMR package count.

Takes an isolate table (wide or long, see `amrwatch.analyse.isolates`); gives the same table with
`first_isolate` (bool) and `episode` (1, 2, … within patient × species; AMR issue #147) appended.
The four methods of Hindler & Stelling 2007 (doi:10.1086/511864) as AMR 3.0.0 `first_isolate()`
defines them:

* isolate-based — every isolate with a known organism;
* patient-based — the first isolate of each species per patient, ever;
* episode-based — a new episode starts at the first isolate `episode_days` or more after the
  previous episode's start (AMR `get_episode()`), its first isolate counts;
* phenotype-based — episode-based, plus an isolate whose antibiogram differs from the patient's
  other isolates of the species (`amrwatch.analyse.phenotype`): by points over all antimicrobials
  (default) or by key antimicrobials (`data/key_antimicrobials.yaml`).

Organisms group on genus + species (subspecies merged). Missing organisms and AMR's `UNKNOWN` are
never first isolates; a missing date counts as 1970-01-01 and a missing patient as a patient of
its own, as AMR does. Episodes are found for all groups at once by jumping from each episode start
to the first row `episode_days` later (numpy searchsorted), so the work is one pass per episode
generation, never a loop over rows.
"""

from __future__ import annotations

import math
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import yaml

from amrwatch.analyse import isolates, phenotype
from amrwatch.errors import ConfigurationError, InputError

METHODS = ("isolate-based", "patient-based", "episode-based", "phenotype-based")
PHENOTYPE_TYPES = ("points", "keyantimicrobials")


@cache
def key_antimicrobials() -> dict[str, Any]:
    """The key-antimicrobial lists and point values, with provenance (data/key_antimicrobials.yaml)."""
    path = resources.files("amrwatch.analyse") / "data" / "key_antimicrobials.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def first_isolates(table: pa.Table, method: str = "phenotype-based", episode_days: float = 365,
                   date: str | None = None, patient: str | None = None,
                   organism: str | None = None, phenotype_type: str = "points",
                   points_threshold: float | None = None, ignore_i: bool = True,
                   include_unknown: bool = False) -> pa.Table:
    """`table` with `first_isolate` and `episode` columns appended (one value per row)."""
    if method not in METHODS:
        raise ConfigurationError("Unknown first-isolate method", {"method": method},
                                 hint=f"use one of: {', '.join(METHODS)}")
    if phenotype_type not in PHENOTYPE_TYPES:
        raise ConfigurationError("Unknown phenotype type", {"type": phenotype_type},
                                 hint="use points or keyantimicrobials")
    if not episode_days > 0:
        raise ConfigurationError("episode_days must be positive", {"episode_days": episode_days})
    if isolates.is_long(table):
        return _long(table, method, episode_days, date, patient, organism, phenotype_type,
                     points_threshold, ignore_i, include_unknown)
    roles = isolates.roles(table, date, patient, organism)
    flags, episode = _flags(table, roles, method, episode_days, phenotype_type,
                            points_threshold, ignore_i, include_unknown)
    return table.append_column("first_isolate", pa.array(flags)).append_column(
        "episode", pa.array(episode, mask=episode == 0, type=pa.int32()))


def _flags(table: pa.Table, roles: isolates.Roles, method: str, episode_days: float,
           phenotype_type: str, points_threshold: float | None, ignore_i: bool,
           include_unknown: bool) -> tuple[np.ndarray, np.ndarray]:
    n = table.num_rows
    organisms = table.column(roles.organism)
    species, excluded = _species_codes(organisms, include_unknown)
    if method == "isolate-based":
        return ~excluded, np.where(excluded, 0, 1).astype(np.int32)
    patients = _codes(table.column(roles.patient))[0]
    missing = patients < 0
    patients[missing] = patients.max(initial=0) + 1 + np.flatnonzero(missing)
    group = patients * (species.max(initial=0) + 2) + (species + 1)
    days = _days(table.column(roles.date), roles.date)
    span = int(days.max() - days.min()) + 1 if n else 1
    order = np.argsort(group * span + (days - days.min()), kind="stable")  # ties: file order
    g_sorted, d_sorted = group[order], days[order]
    head = np.r_[True, g_sorted[1:] != g_sorted[:-1]]
    gid = np.cumsum(head) - 1
    window = math.inf if method == "patient-based" else episode_days
    starts = episode_starts(gid, d_sorted, window)
    first = starts.copy()
    if method == "phenotype-based":
        first |= _phenotype(table, roles, phenotype_type, order, gid, points_threshold, ignore_i)
    episode = np.cumsum(starts)
    episode = episode - episode[np.flatnonzero(head)][gid] + 1
    flags = np.empty(n, dtype=bool)
    flags[order] = first
    numbers = np.empty(n, dtype=np.int32)
    numbers[order] = episode
    flags &= ~excluded
    numbers[excluded] = 0
    return flags, numbers


def _phenotype(table: pa.Table, roles: isolates.Roles, kind: str, order: np.ndarray,
               gid: np.ndarray, threshold: float | None, ignore_i: bool) -> np.ndarray:
    """Phenotype flags in sorted order; only groups of two or more isolates are compared."""
    different = np.zeros(len(order), dtype=bool)
    columns = _phenotype_columns(table, roles, kind)
    multi = np.flatnonzero(np.bincount(gid)[gid] >= 2) if len(gid) else np.zeros(0, dtype=int)
    if not columns or multi.size == 0:
        return different
    subset = table.select([*columns, roles.organism]).take(order[multi])
    ranks = _ranks(subset, columns, subset.column(roles.organism), kind)
    points, limit = _points(kind, threshold)
    different[multi] = phenotype.different_antibiogram(gid[multi], ranks, points, limit, ignore_i)
    return different


def _species_codes(organisms: pa.ChunkedArray, include_unknown: bool) -> tuple[np.ndarray, np.ndarray]:
    """Genus + species code per row (distinct organisms looked up once) and the excluded rows."""
    codes, distinct = _codes(organisms)
    species = isolates.species_of(distinct)
    species_codes, _ = _codes(species)
    drop = pc.is_null(species).to_numpy(zero_copy_only=False)
    if not include_unknown:
        drop |= isolates.unknown_organism(distinct).to_numpy(zero_copy_only=False)
    per_row = np.where(codes >= 0, species_codes[np.maximum(codes, 0)], -1)
    excluded = np.where(codes >= 0, drop[np.maximum(codes, 0)], True)
    return per_row, excluded


def episode_starts(gid: np.ndarray, days: np.ndarray, episode_days: float) -> np.ndarray:
    """Rows sorted by (gid, day) that start an episode (AMR `is_new_episode`, all groups at once)."""
    n = len(gid)
    head = np.r_[True, gid[1:] != gid[:-1]] if n else np.zeros(0, dtype=bool)
    if math.isinf(episode_days) or n == 0:
        return head
    step = math.ceil(episode_days)  # whole days: a later date >= start + episode_days
    span = int(days.max() - days.min()) + step + 1
    key = gid.astype(np.int64) * span + (days - days.min())
    following = np.searchsorted(key, key + step, side="left")
    valid = following < n
    valid[valid] = gid[following[valid]] == gid[valid]
    starts = np.zeros(n, dtype=bool)
    frontier = np.flatnonzero(head)
    while frontier.size:
        starts[frontier] = True
        frontier = following[frontier[valid[frontier]]]
    return starts


def _codes(values: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, pa.Array]:
    """Dictionary codes (int64, -1 for missing) and the distinct values they index."""
    encoded = pc.dictionary_encode(pc.cast(values, pa.string()))
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.unify_dictionaries()
        chunks = encoded.chunks
        dictionary = chunks[0].dictionary if chunks else pa.array([], pa.string())
        indices = pa.chunked_array([c.indices for c in chunks], type=pa.int32())
    else:
        dictionary, indices = encoded.dictionary, encoded.indices
    return pc.fill_null(indices, -1).to_numpy().astype(np.int64), dictionary


def _days(dates: pa.ChunkedArray, column: str) -> np.ndarray:
    """Days since 1970-01-01; missing dates count as day 0 (AMR sets them to 1970-01-01)."""
    if not pa.types.is_date32(dates.type):
        try:
            dates = pc.cast(dates, pa.date32())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
            raise InputError(
                f"Dates cannot be read: {error}", {"column": column},
                hint="write dates as YYYY-MM-DD",
            ) from error
    return pc.fill_null(pc.cast(dates, pa.int32()), 0).to_numpy().astype(np.int64)


def _phenotype_columns(table: pa.Table, roles: isolates.Roles, kind: str) -> list[str]:
    present = isolates.antimicrobial_columns(table)
    if kind == "points":
        return present  # AMR all_antimicrobials(): every result column, in table order
    keys = key_antimicrobials()
    lists = [sorted(keys["universal"]), sorted(keys["gram_negative"]), sorted(keys["gram_positive"])]
    return [code for codes in lists for code in codes if code in present]


def _ranks(table: pa.Table, columns: list[str], organisms: pa.ChunkedArray, kind: str) -> np.ndarray:
    """Category ranks per row and column (0 untested, I, R, S); key drugs only for the row's Gram."""
    lookup = pa.array(["I", "SDD", "R", "S"])
    rank_of = np.array([phenotype.RANK_I, phenotype.RANK_I, phenotype.RANK_R, phenotype.RANK_S,
                        phenotype.RANK_UNTESTED], dtype=np.uint8)
    ranks = np.zeros((table.num_rows, len(columns)), dtype=np.uint8)
    for position, name in enumerate(columns):  # a loop over drugs, not rows
        values = pc.utf8_upper(pc.utf8_trim_whitespace(pc.cast(table.column(name), pa.string())))
        index = pc.fill_null(pc.index_in(values, lookup), 4).to_numpy()
        ranks[:, position] = rank_of[index]
    if kind == "keyantimicrobials":
        ranks[~_key_mask(columns, organisms)] = phenotype.RANK_UNTESTED
    return ranks


def _key_mask(columns: list[str], organisms: pa.ChunkedArray) -> np.ndarray:
    """Which key columns apply to each row: universal ones always, Gram-specific by Gram stain."""
    from amrwatch.codes.traits import traits

    keys = key_antimicrobials()
    gram = {}
    for mo in pc.unique(organisms).drop_null().to_pylist():  # distinct organisms only
        try:
            gram[mo] = traits(mo)["gram_stain"]
        except (KeyError, LookupError):
            gram[mo] = None
    stains = np.array([gram.get(mo) for mo in pc.unique(organisms).to_pylist()], dtype=object)
    per_row = stains[pc.index_in(organisms, pc.unique(organisms)).to_numpy()]
    mask = np.zeros((len(per_row), len(columns)), dtype=bool)
    for position, code in enumerate(columns):
        mask[:, position] = (
            (code in keys["universal"])
            | ((per_row == "Gram-negative") & (code in keys["gram_negative"]))
            | ((per_row == "Gram-positive") & (code in keys["gram_positive"]))
        )
    return mask


def _points(kind: str, threshold: float | None) -> tuple[np.ndarray | None, float]:
    rules = key_antimicrobials()["points"]
    if kind != "points":
        return None, 0.0
    return phenotype.points_matrix(rules["S_I"], rules["S_R"]), (
        rules["default_threshold"] if threshold is None else threshold)


def _long(table: pa.Table, method: str, episode_days: float, date: str | None,
          patient: str | None, organism: str | None, phenotype_type: str,
          points_threshold: float | None, ignore_i: bool, include_unknown: bool) -> pa.Table:
    """Long input: pivot to one row per isolate, flag, and join the flags back to every row."""
    import duckdb

    key = isolates.isolate_key(table)
    roles = isolates.roles(table, date, patient, organism)
    wide = isolates.to_wide(table, [roles.date, roles.patient, roles.organism])
    flagged = first_isolates(wide, method, episode_days, roles.date, roles.patient,
                             roles.organism, phenotype_type, points_threshold, ignore_i,
                             include_unknown).select(key + ["first_isolate", "episode"])
    con = duckdb.connect()
    con.register("results", table.append_column("__row", pa.array(np.arange(table.num_rows))))
    con.register("flags", flagged)
    on = " AND ".join(f'r."{c}" IS NOT DISTINCT FROM f."{c}"' for c in key)
    return con.sql(
        f"SELECT r.* EXCLUDE (__row), f.first_isolate, f.episode FROM results r "
        f"LEFT JOIN flags f ON {on} ORDER BY r.__row"
    ).to_arrow_table()
