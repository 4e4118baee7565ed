"""Every aberration detector against R `surveillance` on the committed reference series.

The expected values come from R (tests/fixtures/detect/make_fixtures.R; surveillance version in
tests/fixtures/detect/VERSION), never from amrwatch: alarms must agree week for week, bounds and
expected counts to a tight tolerance.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from amrwatch.detect import Cusum, EarsC, Farrington, detect_aberrations
from amrwatch.tables import read_table

FIXTURES = Path(__file__).parent / "fixtures" / "detect"
ORIGINAL = {
    "weights_threshold": 1, "p_threshold_trend": 0.05, "no_periods": 1,
    "past_weeks_not_included": None, "threshold_method": "delta",
}
CASES = {
    "farrington_noufaily": Farrington(),
    "farrington_muan": Farrington(threshold_method="muan"),
    "farrington_original": Farrington(**ORIGINAL),
    "farrington_rdefault": Farrington(  # surveillance's own defaults
        p_threshold_trend=0.05, no_periods=1, past_weeks_not_included=None,
        threshold_method="delta"),
    "ears_c1": EarsC(method="C1"),
    "ears_c2": EarsC(method="C2"),
    "ears_c3": EarsC(method="C3"),
    "ears_c2_b10": EarsC(method="C2", baseline=10, alpha=0.05, min_sigma=0.5),
    "cusum_standard": Cusum(monitor_from=261),
    "cusum_rossi": Cusum(trans="rossi", monitor_from=261),
    "cusum_anscombe": Cusum(trans="anscombe", monitor_from=261),
}


def _floats(column: pa.ChunkedArray) -> np.ndarray:
    return np.array([np.nan if v is None else float(v) for v in column.to_pylist()])


def _alarms(column: pa.ChunkedArray) -> np.ndarray:
    """R writes TRUE/FALSE (sts) or 1/0 (survRes); NA stays None."""
    return np.array([None if v is None else v in ("TRUE", "1") for v in column.to_pylist()])


@pytest.fixture(scope="module")
def series() -> pa.Table:
    return read_table(FIXTURES / "series.tsv")


@pytest.mark.parametrize("name", sorted(CASES))
def test_agrees_with_surveillance(series: pa.Table, name: str) -> None:
    reference = read_table(FIXTURES / f"{name}.tsv")
    ours = detect_aberrations(series, CASES[name])
    key = {(s, int(w)): i for i, (s, w) in enumerate(
        zip(ours["series_id"].to_pylist(), ours["week_index"].to_pylist()))}
    rows = [key[(s, int(w))] for s, w in zip(
        reference["series_id"].to_pylist(), reference["week_index"].to_pylist())]
    ours = ours.take(rows)
    expected_alarm = _alarms(reference["alarm"])
    got_alarm = np.array(ours["alarm"].to_pylist())
    mismatch = [(reference["series_id"][i].as_py(), reference["week_index"][i].as_py())
                for i in np.flatnonzero(got_alarm != expected_alarm)]
    assert not mismatch, f"{len(mismatch)} alarms differ from R, first: {mismatch[:5]}"
    assert sum(a for a in expected_alarm if a is not None) > 0  # alarms are exercised
    np.testing.assert_allclose(
        _floats(ours["upperbound"]), _floats(reference["upperbound"]), rtol=1e-6, atol=1e-6
    )
    if reference["expected"].null_count < len(reference):
        np.testing.assert_allclose(
            _floats(ours["expected"]), _floats(reference["expected"]), rtol=1e-6, atol=1e-6
        )
