"""Running the scan per category (organism, phenotype, …) and turning clusters into signals.

Takes cases, a lab registry and the columns that define categories; gives one CLUSTER table with
the category columns in front, and the SIGNAL rows of the clusters above the recurrence
threshold. Also builds the random data of `amrwatch bench scan`.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from amrwatch.detect.scan import SpaceTimeScan, scan
from amrwatch.detect.signals import cluster_signals
from amrwatch.errors import InputError
from amrwatch.schemas import CLUSTER, SIGNAL


def _lab_countries(labs: pa.Table) -> dict[str, str]:
    if "country" not in labs.column_names:
        return {}
    return dict(zip(labs.column("lab_code").to_pylist(), labs.column("country").to_pylist()))


def scan_groups(cases: pa.Table, labs: pa.Table, params: SpaceTimeScan, by: list[str],
                end: dt.date | None = None) -> tuple[pa.Table, pa.Table]:
    """Scan each category of `cases` (one loop step per category) over the whole region."""
    absent = [c for c in by if c not in cases.column_names]
    if absent:
        raise InputError(f"Case table lacks the grouping column(s) {', '.join(absent)}",
                         {"columns": ", ".join(cases.column_names)})
    countries = _lab_countries(labs)
    groups = cases.group_by(by).aggregate([]).to_pylist() if by else [{}]
    clusters, signals = [], []
    for category in groups:
        mask = None
        for column, value in category.items():
            match = pc.equal(cases.column(column), value) if value is not None else pc.is_null(cases.column(column))
            mask = match if mask is None else pc.and_(mask, match)
        subset = cases if mask is None else cases.filter(mask)
        found = scan(subset, labs, params, end)
        for column in reversed(by):
            found = found.add_column(0, column, pa.array([category[column]] * found.num_rows, pa.string()))
        clusters.append(found)
        signals.append(_with_countries(cluster_signals(found, category), found, countries))
    empty = pa.schema([pa.field(c, pa.string()) for c in by] + list(CLUSTER))
    return (pa.concat_tables(clusters) if clusters else empty.empty_table(),
            pa.concat_tables(signals) if signals else SIGNAL.empty_table())


def _with_countries(signals: pa.Table, clusters: pa.Table, countries: dict[str, str]) -> pa.Table:
    """Country of each cluster's centre lab (clusters may cross borders: evidence lists labs)."""
    if not countries or signals.num_rows == 0:
        return signals
    filled = [countries.get(lab) for lab in signals.column("lab_code").to_pylist()]
    return signals.set_column(signals.schema.get_field_index("country"), "country",
                              pa.array(filled, pa.string()))


def benchmark_data(cases: int, labs: int, days: int, seed: int = 7) -> tuple[pa.Table, pa.Table]:
    """Uniform cases over labs scattered across the CELAC region, plus a planted cluster of
    2 % of the cases in 3 neighbouring labs over the last 10 days."""
    rng = np.random.default_rng(seed)
    codes = np.array([f"LAB{i:04d}" for i in range(labs)])
    lat, lon = rng.uniform(-45, 25, labs), rng.uniform(-95, -35, labs)
    lab_table = pa.table({"lab_code": codes, "latitude": lat, "longitude": lon})
    planted = max(1, cases // 50)
    lab = rng.integers(0, labs, cases)
    day = rng.integers(0, days, cases)
    nearest = np.argsort((lat - lat[0]) ** 2 + (lon - lon[0]) ** 2)[:3]
    lab[:planted] = rng.choice(nearest, planted)
    day[:planted] = rng.integers(days - 10, days, planted)
    start = np.datetime64("2025-01-01")
    dates = (start + day.astype("timedelta64[D]")).astype("datetime64[D]")
    return pa.table({"lab_code": codes[lab], "specimen_date": pa.array(dates)}), lab_table
