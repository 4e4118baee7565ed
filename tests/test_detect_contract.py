"""The detector contract and hand-checked numbers of the spec (surveillance-methods.md §1–3).

Numbers marked *pinned* are asserted by R surveillance's own tests; *computed here* ones were
worked by hand in the spec from the published formulas.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from amrwatch.detect import DETECTORS, Cusum, EarsC, Farrington, detect_aberrations, detector
from amrwatch.detect.farrington import reweighting
from amrwatch.errors import ConfigurationError, InputError


def _series(values, series_id="s", start=1, population=None) -> pa.Table:
    columns = {"series_id": [series_id] * len(values),
               "week_index": list(range(start, start + len(values))), "observed": list(values)}
    if population is not None:
        columns["population"] = population
    return pa.table(columns)


def test_ears_c1_worked_example() -> None:
    """*computed here*: baseline 3,5,4,6,2,4,4 → Ȳ = 4, S = 1.291, U = 7.99; 12 alarms, 7 not."""
    for today, alarm in ((12, True), (7, False)):
        out = detect_aberrations(_series([3, 5, 4, 6, 2, 4, 4, today]), EarsC(method="C1"))
        last = out.slice(7).to_pylist()[0]
        assert last["expected"] == pytest.approx(4.0)
        assert last["upperbound"] == pytest.approx(7.99, abs=0.005)
        assert last["alarm"] is alarm


def test_ears_c3_published_bound_follows_the_statistic() -> None:
    """C3 = Σ max(0, C2 − 1) over t−2…t; the published variant alarms exactly when C3 > z."""
    rng = np.random.default_rng(3)
    y = rng.poisson(5, 60).astype(float)
    y[40:43] += [6, 9, 14]
    out = detect_aberrations(_series(y), EarsC(method="C3", c3_bound="published")).to_pylist()
    z = 1.959964
    for t in range(11, 60):
        c2 = [(y[i] - y[i - 9:i - 2].mean()) / y[i - 9:i - 2].std(ddof=1) for i in (t - 2, t - 1, t)]
        c3 = sum(max(0.0, c - 1) for c in c2)
        assert out[t]["alarm"] is bool(c3 > z), t


def test_cusum_worked_example() -> None:
    """*computed here*: m = 4, y = 3,5,4,9,10,11 → S = 0,0,0,1.46,3.42,5.88; first alarm at t = 5."""
    out = detect_aberrations(_series([4, 3, 5, 4, 9, 10, 11]), Cusum(m=4.0, monitor_from=2)).to_pylist()
    assert [row["alarm"] for row in out[1:]] == [False, False, False, False, True, True]
    # U_t = ⌈√m (h + k − S_{t−1}) + m⌉ with S_{t−1} = 1.46 at t = 5
    assert out[5]["upperbound"] == np.ceil(2 * (2.26 + 1.04 - 1.46) + 4)


def test_cusum_reset_restarts_after_an_alarm() -> None:
    out = detect_aberrations(_series([4, 3, 5, 4, 9, 10, 11]), Cusum(m=4.0, reset=True, monitor_from=2))
    # S after week 6 is 3.42 ≥ 2.26 → alarm and reset; week 7 starts from 0: 0 + 2.46 ≥ 2.26
    assert out.column("alarm").to_pylist()[1:] == [False, False, False, False, True, True]


def test_reweighting_pinned() -> None:
    """*pinned*: s = (0×5, 2×5), threshold 0 → γ = 1.6; weights 1.6 and 0.4."""
    weights = reweighting(np.array([0.0] * 5 + [2.0] * 5), 0.0)
    np.testing.assert_allclose(weights, [1.6] * 5 + [0.4] * 5)


@pytest.mark.parametrize("periods", [2, 5, 10])
def test_farrington_reference_block_size_pinned(periods: int) -> None:
    """*pinned*: with noPeriods = p the block of level p has w + 1 + b(2w + 1) points."""
    method = Farrington(no_periods=periods, past_weeks_not_included=0)
    level = method.blocks(300)
    assert np.sum(level == periods) + 1 == method.w + 1 + method.b * (2 * method.w + 1)


def test_every_detector_honours_the_contract() -> None:
    """Same input, same output columns; rows before the history are null; sorted by week."""
    rng = np.random.default_rng(1)
    table = pa.concat_tables([_series(rng.poisson(4, 300).tolist(), "b"),
                              _series(rng.poisson(9, 300).tolist(), "a")])
    for name in DETECTORS:
        out = detect_aberrations(table.take(rng.permutation(table.num_rows)), detector(name))
        assert out.column_names[-3:] == ["expected", "upperbound", "alarm"]
        assert out.column("series_id").to_pylist() == ["a"] * 300 + ["b"] * 300
        assert out.column("week_index").to_pylist()[:3] == [1, 2, 3]
        assert out.column("alarm")[0].as_py() is None
        assert out.column("upperbound").null_count < out.num_rows


def test_bad_series_are_located() -> None:
    with pytest.raises(InputError, match="missing weeks 3–4"):
        detect_aberrations(pa.table({"series_id": ["s"] * 3, "week_index": [1, 2, 5],
                                     "observed": [1, 2, 3]}), EarsC())
    with pytest.raises(InputError) as caught:
        detect_aberrations(pa.table({"series_id": ["s"] * 2, "week_index": ["1", "2"],
                                     "observed": ["3", "two"]}), EarsC())
    assert caught.value.context["row"] == 2 and caught.value.context["value"] == "two"
    with pytest.raises(InputError, match="lacks column"):
        detect_aberrations(pa.table({"series_id": ["s"], "week_index": [1]}), EarsC())
    with pytest.raises(InputError, match="too little history"):
        detect_aberrations(_series([1] * 20), Farrington(monitor_from=10))


def test_unknown_algorithm_or_parameter_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="Unknown detection algorithm"):
        detector("glrnb")
    with pytest.raises(ConfigurationError):
        detector("cusum", kk=3)
    with pytest.raises(ConfigurationError):
        EarsC(method="C4")
