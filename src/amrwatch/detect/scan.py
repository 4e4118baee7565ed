"""Prospective space-time permutation scan statistic (Kulldorff et al. 2005), vectorised.

Takes cases (one row per case: `lab_code`, `specimen_date`) and labs with coordinates
(`lab_code`, `latitude`, `longitude`); gives the clusters ending on the last day of the study
period, most likely first, each with its labs, window, observed and expected cases, relative
risk, log likelihood ratio, Monte Carlo p-value and recurrence interval (CLUSTER schema).

Zones are circles: a lab and its nearest labs (up to `max_labs`, `max_radius_km` and
`max_case_share` of all cases); windows are the last 1…`max_window_days` days. Expected counts
assume no space-time interaction, μ = (cases of the zone) × (cases of the window) / C; the
statistic is the Poisson log GLR; p-values come from `replications` random permutations of the
dates among the cases, which keep both margins (spec surveillance-methods.md §4, §5; Kulldorff M
et al., PLoS Med 2005;2(3):e59; Abrams AM et al., Int J Health Geogr 2010;9:61 for RI = Δ/p).
Replications run in batches as array operations; no loop over cases or cells.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy.special import xlogy

from amrwatch.errors import ConfigurationError, InputError
from amrwatch.schemas import CLUSTER

EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class SpaceTimeScan:
    """Parameters; defaults follow WHONET-SaTScan practice for AMR (spec §5)."""

    max_window_days: int = 60
    study_days: int = 365
    max_labs: int = 20
    max_radius_km: float | None = None
    max_case_share: float = 0.5
    replications: int = 999
    seed: int = 20261123
    analysis_interval_days: float = 1.0  # runs after each daily upload: RI in days = Δ / p
    min_recurrence_days: float = 365.0  # signal threshold
    max_clusters: int = 10
    batch: int = 8
    #: stop the replications once the most likely cluster can no longer reach the signal
    #: threshold (sequential Monte Carlo, Besag & Clifford 1991); its p-value is then
    #: (exceedances + 1) / (replications run + 1), still above the threshold.
    early_stop: bool = True

    def __post_init__(self) -> None:
        if not 1 <= self.max_window_days <= self.study_days:
            raise ConfigurationError(
                "max_window_days must be between 1 and study_days",
                {"max_window_days": self.max_window_days, "study_days": self.study_days},
            )
        if self.replications < 9 or self.max_labs < 1 or not 0 < self.max_case_share <= 1:
            raise ConfigurationError(
                "replications ≥ 9, max_labs ≥ 1 and 0 < max_case_share ≤ 1 are required",
                {"replications": self.replications, "max_labs": self.max_labs},
            )


@dataclass(frozen=True)
class _Study:
    """Cases as zone and day numbers, with the zones (circles) and their fixed expectations."""

    labs: np.ndarray  # lab codes, zone index order
    zone: np.ndarray  # per case
    day: np.ndarray  # per case, 0 … days−1
    days: int
    neighbours: np.ndarray  # (labs, size) nearest labs, self first
    radius: np.ndarray  # (labs, size) km to the farthest member
    valid: np.ndarray  # (labs, size) circle allowed
    expected: np.ndarray  # (labs, size, window) μ_A
    end: dt.date


def _haversine(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Great-circle distances (km) between all pairs of points."""
    phi, lam = np.radians(lat), np.radians(lon)
    a = (np.sin((phi[:, None] - phi[None, :]) / 2) ** 2
         + np.cos(phi[:, None]) * np.cos(phi[None, :]) * np.sin((lam[:, None] - lam[None, :]) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def _dates(cases: pa.Table) -> pa.ChunkedArray:
    column = cases.column("specimen_date")
    if pa.types.is_date(column.type):
        return column
    try:
        return pc.cast(column, pa.date32())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
        raise InputError(
            f"specimen_date must be a date (YYYY-MM-DD): {error}", {"column": "specimen_date"}
        ) from error


#: Short column names some registries use (the synthetic lab registry: lat, lon).
ALIASES = {"lat": "latitude", "lon": "longitude", "lng": "longitude"}


def _coordinates(labs: pa.Table, needed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if "latitude" not in labs.column_names:
        labs = labs.rename_columns([ALIASES.get(c, c) for c in labs.column_names])
    for column in ("lab_code", "latitude", "longitude"):
        if column not in labs.column_names:
            raise InputError(f"Lab table lacks column {column!r}", {"columns": ", ".join(labs.column_names)},
                             hint="give lab_code, latitude, longitude (decimal degrees)")
    codes = np.asarray(labs.column("lab_code").to_pylist(), dtype=object)
    lat = pc.cast(labs.column("latitude"), pa.float64()).to_numpy(zero_copy_only=False)
    lon = pc.cast(labs.column("longitude"), pa.float64()).to_numpy(zero_copy_only=False)
    position = {code: i for i, code in enumerate(codes) if np.isfinite(lat[i]) and np.isfinite(lon[i])}
    absent = [str(code) for code in needed if code not in position]
    if absent:
        raise InputError(
            f"{len(absent)} lab(s) with cases have no coordinates",
            {"labs": ", ".join(absent[:10])},
            hint="add their latitude and longitude to the lab registry",
        )
    rows = np.array([position[code] for code in needed], dtype=np.int64)
    return lat[rows], lon[rows]


def prepare(cases: pa.Table, labs: pa.Table, params: SpaceTimeScan, end: dt.date | None = None) -> _Study:
    """Place the study period's cases on zones and days and build the circles."""
    dates = _dates(cases)
    end = end or pc.max(dates).as_py()
    if end is None:
        raise InputError("No cases to scan", {})
    start = end - dt.timedelta(days=params.study_days - 1)
    day = (pc.cast(dates, pa.int32()).to_numpy(zero_copy_only=False) - (start - dt.date(1970, 1, 1)).days)
    keep = (day >= 0) & (day < params.study_days)
    codes = np.asarray(cases.column("lab_code").to_pylist(), dtype=object)[keep]
    lab_codes, zone = np.unique(codes.astype(str), return_inverse=True)
    lat, lon = _coordinates(labs, lab_codes)
    distance = _haversine(lat, lon)
    size = min(params.max_labs, len(lab_codes))
    neighbours = np.argsort(distance, axis=1, kind="stable")[:, :size]
    radius = np.take_along_axis(distance, neighbours, axis=1)
    zone_cases = np.bincount(zone, minlength=len(lab_codes))
    circle_cases = np.cumsum(zone_cases[neighbours], axis=1)
    total = len(zone)
    valid = circle_cases <= params.max_case_share * total
    if params.max_radius_km is not None:
        valid &= radius <= params.max_radius_km
    day = day[keep].astype(np.int64)
    window_cases = np.cumsum(np.bincount(params.study_days - 1 - day, minlength=params.study_days))
    window_cases = window_cases[: params.max_window_days]
    expected = circle_cases[:, :, None] * window_cases[None, None, :] / max(total, 1)
    return _Study(lab_codes, zone, day, params.study_days, neighbours, radius, valid, expected, end)


def _counts(study: _Study, days: np.ndarray, window: int) -> np.ndarray:
    """Cases per (replicate, circle, window) for day assignments `days` (replicates × cases)."""
    lag = study.days - 1 - days
    recent = lag < window
    n_labs = len(study.labs)
    replicate = np.broadcast_to(np.arange(days.shape[0])[:, None], days.shape)
    cell = (replicate[recent] * n_labs + np.broadcast_to(study.zone, days.shape)[recent]) * window
    per_lab = np.bincount(cell + lag[recent], minlength=days.shape[0] * n_labs * window)
    per_lab = np.cumsum(per_lab.reshape(days.shape[0], n_labs, window), axis=2)
    return np.cumsum(per_lab[:, study.neighbours, :], axis=2)


def _llr(count: np.ndarray, expected: np.ndarray, total: int, valid: np.ndarray) -> np.ndarray:
    """Poisson log GLR where the circle has more cases than expected, else 0.

    Only those cells are evaluated: with sparse AMR cases most circles × windows have fewer
    cases than expected, and the logarithms are the cost of the whole scan.
    """
    mu = np.broadcast_to(expected, count.shape)
    excess = (count > mu) & np.broadcast_to(valid[..., None], count.shape)
    c, m = count[excess].astype(np.float64), mu[excess]
    out = np.zeros(count.shape)
    out[excess] = xlogy(c, c / m) + xlogy(total - c, (total - c) / (total - m))
    return out


def _allowed_exceedances(params: SpaceTimeScan) -> int:
    """Most replicate maxima ≥ the observed one that still give RI ≥ the threshold."""
    p_max = params.analysis_interval_days / params.min_recurrence_days
    return int(np.floor(p_max * (params.replications + 1))) - 1


def null_maxima(study: _Study, params: SpaceTimeScan, observed_max: float = np.inf) -> np.ndarray:
    """Maximum LLR of each Monte Carlo replicate (dates permuted among cases)."""
    rng = np.random.default_rng(params.seed)
    window, total = study.expected.shape[2], len(study.day)
    maxima, exceeded = [], 0
    for first in range(0, params.replications, params.batch):
        n = min(params.batch, params.replications - first)
        days = rng.permuted(np.broadcast_to(study.day, (n, total)), axis=1)
        llr = _llr(_counts(study, days, window), study.expected, total, study.valid)
        maxima.append(llr.reshape(n, -1).max(axis=1))
        exceeded += int(np.sum(maxima[-1] >= observed_max - 1e-9))
        if params.early_stop and exceeded > _allowed_exceedances(params):
            break
    return np.concatenate(maxima) if maxima else np.zeros(0)


def _best_cells(llr: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For every circle its best window; circles with LLR > 0 sorted by LLR, highest first."""
    window = llr.argmax(axis=2)
    best = np.take_along_axis(llr, window[..., None], axis=2)[..., 0]
    centre, size = np.nonzero(best > 0)
    order = np.argsort(-best[centre, size], kind="stable")
    return centre[order], size[order], window[centre[order], size[order]]


def _clusters(study: _Study, llr: np.ndarray, params: SpaceTimeScan) -> list[tuple[int, int, int]]:
    """Most likely cluster and secondary clusters sharing no lab with a better one (SaTScan)."""
    used = np.zeros(len(study.labs), dtype=bool)
    chosen = []
    for centre, size, window in zip(*_best_cells(llr)):
        members = study.neighbours[centre, : size + 1]
        if used[members].any():
            continue
        used[members] = True
        chosen.append((int(centre), int(size), int(window)))
        if len(chosen) == params.max_clusters:
            break
    return chosen


def scan(cases: pa.Table, labs: pa.Table, params: SpaceTimeScan | None = None,
         end: dt.date | None = None) -> pa.Table:
    """Clusters of `cases` ending on `end` (default: the last case date), as a CLUSTER table."""
    params = params or SpaceTimeScan()
    for column in ("lab_code", "specimen_date"):
        if column not in cases.column_names:
            raise InputError(f"Case table lacks column {column!r}",
                             {"columns": ", ".join(cases.column_names)},
                             hint="give one row per case with lab_code and specimen_date")
    if cases.num_rows == 0:
        return CLUSTER.empty_table()
    study = prepare(cases, labs, params, end)
    total = len(study.day)
    if total == 0:
        return CLUSTER.empty_table()
    observed = _counts(study, study.day[None, :], study.expected.shape[2])[0]
    llr = _llr(observed, study.expected, total, study.valid)
    found = _clusters(study, llr, params)
    maxima = null_maxima(study, params, float(llr[found[0]])) if found else np.zeros(0)
    rows = [_row(study, observed, llr, cell, maxima, params, rank) for rank, cell in enumerate(found, 1)]
    return pa.Table.from_pylist(rows, schema=CLUSTER)


def _row(study: _Study, observed: np.ndarray, llr: np.ndarray, cell: tuple[int, int, int],
         maxima: np.ndarray, params: SpaceTimeScan, rank: int) -> dict:
    centre, size, window = cell
    c, mu, total = float(observed[cell]), float(study.expected[cell]), len(study.day)
    p = (1 + int(np.sum(maxima >= llr[cell] - 1e-9))) / (len(maxima) + 1)
    recurrence = params.analysis_interval_days / p
    return {
        "rank": rank,
        "centre_lab": str(study.labs[centre]),
        "labs": [str(code) for code in study.labs[study.neighbours[centre, : size + 1]]],
        "radius_km": float(study.radius[centre, size]),
        "window_start": study.end - dt.timedelta(days=window),
        "window_end": study.end,
        "observed": int(c),
        "expected": mu,
        "relative_risk": (c / mu) / ((total - c) / (total - mu)) if total > c else float("inf"),
        "llr": float(llr[cell]),
        "p_value": p,
        "recurrence_days": recurrence,
        "signal": recurrence >= params.min_recurrence_days,
        "total_cases": total,
        "replications": len(maxima),
    }
