"""Space-time permutation scan: the spec's worked example, a planted cluster, the null."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pyarrow as pa
import pytest

from amrwatch.detect.runner import benchmark_data, scan_groups
from amrwatch.detect.scan import SpaceTimeScan, _counts, _llr, prepare, scan
from amrwatch.errors import InputError

DAY1 = dt.date(2025, 3, 1)


def _cases(cells: dict[tuple[str, int], int]) -> pa.Table:
    labs, dates = [], []
    for (lab, day), n in cells.items():
        labs += [lab] * n
        dates += [DAY1 + dt.timedelta(days=day)] * n
    return pa.table({"lab_code": labs, "specimen_date": pa.array(dates, pa.date32())})


WARDS = pa.table({"lab_code": ["W1", "W2"], "latitude": [0.0, 0.0], "longitude": [0.0, 0.1]})


def test_worked_example_of_the_spec() -> None:
    """*computed here* (spec §4, scanstatistics' test matrix): days × wards
    [[1, 0], [2, 1], [0, 20]] → ward 2 on day 3: c = 20, μ = 17.5, log GLR 0.7286, RR 1.857."""
    cases = _cases({("W1", 0): 1, ("W1", 1): 2, ("W2", 1): 1, ("W2", 2): 20})
    params = SpaceTimeScan(max_window_days=3, study_days=3, max_case_share=1.0, replications=99)
    study = prepare(cases, WARDS, params)
    np.testing.assert_allclose(study.expected[1, 0], [17.5, 20.125, 21.0])  # ward 2, last 1–3 days
    np.testing.assert_allclose(study.expected[0, 0], [2.5, 2.875, 3.0])  # ward 1
    observed = _counts(study, study.day[None, :], 3)[0]
    llr = _llr(observed, study.expected, 24, study.valid)
    assert llr[1, 0, 0] == pytest.approx(20 * math.log(20 / 17.5) + 4 * math.log(4 / 6.5))
    assert llr[1, 0, 0] == pytest.approx(0.7286, abs=5e-5)
    assert llr[1, 0, 1] == pytest.approx(0.1260, abs=5e-5)
    assert llr[0].max() == 0 and llr[:, 1].max() == 0  # ward 1, and both wards together
    top = scan(cases, WARDS, params).to_pylist()[0]
    assert (top["labs"], top["observed"], top["window_start"]) == (["W2"], 20, DAY1 + dt.timedelta(days=2))
    assert top["relative_risk"] == pytest.approx(1.857, abs=5e-4)


def test_planted_cluster_is_found_with_smallest_p_value() -> None:
    cases, labs = benchmark_data(3000, 60, 365, seed=11)
    params = SpaceTimeScan(replications=199, early_stop=False)
    found = scan(cases, labs, params).to_pylist()
    top = found[0]
    lab0 = "LAB0000"
    assert lab0 in top["labs"] and len(top["labs"]) <= 4
    assert top["window_end"] == dt.date(2025, 12, 31)
    assert (top["window_end"] - top["window_start"]).days <= 12
    assert top["p_value"] == pytest.approx(1 / 200)
    assert top["recurrence_days"] == pytest.approx(200) and top["signal"] is False  # 199 reps: RI ≤ 200
    assert all(not set(top["labs"]) & set(other["labs"]) for other in found[1:])


def test_no_signal_without_a_cluster_and_reproducible() -> None:
    rng = np.random.default_rng(5)
    labs = pa.table({"lab_code": [f"L{i}" for i in range(30)],
                     "latitude": rng.uniform(-30, 10, 30), "longitude": rng.uniform(-80, -40, 30)})
    cases = pa.table({"lab_code": [f"L{i}" for i in rng.integers(0, 30, 1500)],
                      "specimen_date": pa.array([DAY1 + dt.timedelta(days=int(d))
                                                 for d in rng.integers(0, 365, 1500)])})
    params = SpaceTimeScan(replications=99, early_stop=False)
    first, again = scan(cases, labs, params), scan(cases, labs, params)
    assert first.equals(again)
    assert first.column("p_value")[0].as_py() > 0.05
    assert not any(first.column("signal").to_pylist())
    # sequential Monte Carlo: with 999 replications a null cluster stops early, still no signal
    early = scan(cases, labs, SpaceTimeScan(replications=999)).to_pylist()[0]
    assert early["replications"] < 999 and early["signal"] is False
    assert early["p_value"] > 1 / 365


def test_cross_border_cluster_by_category() -> None:
    """Labs of two countries in one circle: one cluster, one signal, countries in evidence."""
    rng = np.random.default_rng(2)
    labs = pa.table({"lab_code": ["COL1", "VEN1", "BRA1", "ARG1", "PER1", "CHL1"],
                     "country": ["COL", "VEN", "BRA", "ARG", "PER", "CHL"],
                     "latitude": [7.89, 7.77, -23.5, -34.6, -12.0, -33.4],
                     "longitude": [-72.5, -72.2, -46.6, -58.4, -77.0, -70.6]})
    background = {(lab, int(d)): 1 for lab in labs.column("lab_code").to_pylist()
                  for d in rng.choice(365, 60, replace=False)}
    burst = {("COL1", 360 + i): 4 for i in range(5)} | {("VEN1", 360 + i): 4 for i in range(5)}
    cases = _cases(background | burst)
    cases = cases.append_column("phenotype", pa.array(["CRE"] * cases.num_rows))
    params = SpaceTimeScan(replications=999, max_case_share=0.5)
    clusters, signals = scan_groups(cases, labs, params, ["phenotype"])
    top = clusters.to_pylist()[0]
    assert top["phenotype"] == "CRE" and set(top["labs"]) == {"COL1", "VEN1"}
    assert signals.num_rows == 1
    assert signals.column("phenotype")[0].as_py() == "CRE"
    again = scan_groups(cases, labs, params, ["phenotype"])[1]
    assert again.column("signal_id").equals(signals.column("signal_id"))


def test_labs_without_coordinates_are_named() -> None:
    cases = _cases({("W1", 0): 1, ("W9", 0): 1})
    with pytest.raises(InputError, match="no coordinates") as caught:
        scan(cases, WARDS, SpaceTimeScan(replications=9))
    assert "W9" in caught.value.context["labs"]
