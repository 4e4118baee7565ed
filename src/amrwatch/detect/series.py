"""The one contract of the aberration detectors, and running a detector over many series.

Takes a count series table (`series_id`, `week_index`, `observed`, optional `population`; one
row per series and week, weeks consecutive) and a detector; gives the same rows sorted by series
and week with `expected`, `upperbound` and `alarm` added. The three columns are null for weeks a
detector does not monitor (the history it needs) and, as in R `surveillance`, where it gives no
bound (e.g. Farrington with fewer than 5 cases in 4 weeks).

A detector is a frozen dataclass of its parameters with a `name`, `history(n)` (0-based position
of the first monitorable week) and `run(observed, population, start)` giving a `Detection` for
positions `start..n-1`. Conformance to R `surveillance` is tested once for all of them
(tests/test_detect_conformance.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import Any, ClassVar, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from amrwatch.errors import ConfigurationError, InputError


@dataclass(frozen=True)
class Detection:
    """Per monitored week: expected count, upper bound and alarm (NaN = no value, as R's NA)."""

    expected: np.ndarray
    upperbound: np.ndarray
    alarm: np.ndarray  # float: 1.0 alarm, 0.0 none, NaN undefined


class Detector(Protocol):
    name: ClassVar[str]
    monitor_from: int | None

    def history(self) -> int:
        """Weeks of history needed before the first monitored week."""

    def default_start(self, n: int) -> int:
        """0-based position of the first monitored week when `monitor_from` is not given."""

    def run(self, observed: np.ndarray, population: np.ndarray | None, start: int) -> Detection:
        """Detect on positions start..n-1 of one series."""


#: Detector names as the CLI and the configuration spell them, with their parameter defaults.
DETECTORS: dict[str, tuple[str, dict[str, Any]]] = {
    "farrington": ("amrwatch.detect.farrington:Farrington", {}),
    "ears-c1": ("amrwatch.detect.ears:EarsC", {"method": "C1"}),
    "ears-c2": ("amrwatch.detect.ears:EarsC", {"method": "C2"}),
    "ears-c3": ("amrwatch.detect.ears:EarsC", {"method": "C3"}),
    "cusum": ("amrwatch.detect.cusum:Cusum", {}),
}


def detector(name: str, **parameters: Any) -> Detector:
    """Build a detector by its CLI name (`farrington`, `ears-c1` … `cusum`) with parameters."""
    import importlib

    if name not in DETECTORS:
        raise ConfigurationError(
            "Unknown detection algorithm",
            {"algorithm": name},
            hint=f"use one of: {', '.join(DETECTORS)}",
        )
    target, defaults = DETECTORS[name]
    module, cls = target.split(":")
    factory = getattr(importlib.import_module(module), cls)
    try:
        return factory(**{**defaults, **parameters})
    except TypeError as error:
        raise ConfigurationError(
            f"Unknown parameter for {name}: {error}", {"algorithm": name}
        ) from error


def _count_column(table: pa.Table, column: str, source: str | None, nulls: bool = False) -> np.ndarray:
    """A column of whole numbers ≥ 0 as float64 (NaN for nulls when allowed); bad values named."""
    values = table.column(column)
    try:
        as_float = pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        as_float = np.array([_to_float(v) for v in values.to_pylist()])
    null = pc.is_null(values).to_numpy(zero_copy_only=False) if nulls else False
    with np.errstate(invalid="ignore"):
        wrong = ~np.isfinite(as_float) | (as_float != np.round(as_float)) | (as_float < 0)
    bad = np.flatnonzero(wrong & ~null)
    if bad.size:
        row = int(bad[0])
        raise InputError(
            f"Column {column!r} must hold whole numbers ≥ 0 ({bad.size} rows do not)",
            {"file": source, "row": row + 1, "column": column, "value": values[row].as_py()},
            hint="fill every week with a count (0 when there were no cases)",
        )
    return as_float


def _to_float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _series_population(population: np.ndarray | None, series_id: str) -> np.ndarray | None:
    """A series' population, all weeks or none: a partial denominator would bias the offset."""
    if population is None or np.isnan(population).all():
        return None
    if np.isnan(population).any() or (population <= 0).any():
        raise InputError(
            f"Series {series_id!r} has a population in some weeks only, or a zero population",
            {"series_id": series_id, "column": "population"},
            hint="give a population > 0 for every week of the series, or none at all",
        )
    return population


def _check_columns(table: pa.Table, source: str | None) -> None:
    absent = [c for c in ("series_id", "week_index", "observed") if c not in table.column_names]
    if absent:
        raise InputError(
            f"Series table lacks column(s) {', '.join(absent)}",
            {"file": source, "columns": ", ".join(table.column_names)},
            hint="give one row per series and week with series_id, week_index, observed",
        )


def _check_weeks(series: np.ndarray, weeks: np.ndarray, source: str | None) -> None:
    """Weeks must be consecutive within each series: a gap would shift every seasonal window."""
    same = series[1:] == series[:-1]
    step = np.diff(weeks)
    bad = np.flatnonzero(same & (step != 1))
    if bad.size:
        i = int(bad[0])
        what = "repeated" if step[i] == 0 else f"missing weeks {weeks[i] + 1}–{weeks[i + 1] - 1}"
        raise InputError(
            f"Series {series[i]!r} has {what}",
            {"file": source, "series_id": series[i], "week_index": int(weeks[i + 1])},
            hint="give exactly one row per week, with observed = 0 for weeks without cases",
        )


def detect_aberrations(table: pa.Table, algorithm: Detector, source: str | None = None) -> pa.Table:
    """Run `algorithm` on every series of `table`; give the rows sorted with the three columns added."""
    _check_columns(table, source)
    weeks = _count_column(table, "week_index", source).astype(np.int64)
    series = pc.cast(table.column("series_id"), pa.string()).to_numpy(zero_copy_only=False)
    order = np.lexsort((weeks, series))
    table, series, weeks = table.take(order), series[order], weeks[order]
    observed = _count_column(table, "observed", source)
    population = None
    if "population" in table.column_names:
        population = _count_column(table, "population", source, nulls=True)
    _check_weeks(series, weeks, source)
    out = np.full((3, len(table)), np.nan)
    bounds = np.flatnonzero(np.r_[True, series[1:] != series[:-1], True])
    for lo, hi in pairwise(bounds):
        start = _start(algorithm, weeks[lo:hi], str(series[lo]))
        if start is None:
            continue
        pop = None if population is None else population[lo:hi]
        found = algorithm.run(observed[lo:hi], _series_population(pop, str(series[lo])), start)
        out[:, lo + start : hi] = (found.expected, found.upperbound, found.alarm)
    alarm = pa.array(out[2] == 1.0, mask=np.isnan(out[2]))
    table = table.set_column(table.schema.get_field_index("week_index"), "week_index", pa.array(weeks))
    table = table.set_column(
        table.schema.get_field_index("observed"), "observed", pa.array(observed.astype(np.int64))
    )
    return (
        table.append_column("expected", pa.array(out[0], from_pandas=True))
        .append_column("upperbound", pa.array(out[1], from_pandas=True))
        .append_column("alarm", alarm)
    )


def _start(algorithm: Detector, weeks: np.ndarray, series_id: str) -> int | None:
    """Position of the first monitored week, or None when a series is too short by default."""
    if algorithm.monitor_from is None:
        start = algorithm.default_start(len(weeks))
        return start if algorithm.history() <= start < len(weeks) else None
    start = int(algorithm.monitor_from - weeks[0])
    if start < algorithm.history():
        raise InputError(
            f"Series {series_id!r} has too little history before week {algorithm.monitor_from}",
            {"series_id": series_id, "first_week": int(weeks[0]), "needs_weeks": algorithm.history()},
            hint="start monitoring later or give more past weeks",
        )
    return start if start < len(weeks) else None
