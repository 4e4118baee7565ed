"""EARS C1, C2 and C3 (CDC Early Aberration Reporting System), as R `surveillance::earsC`.

Takes one count series; gives for each monitored week the baseline mean (expected), the upper
bound and the alarm. C1 compares week t with the mean and SD of weeks t−7…t−1, C2 with weeks
t−9…t−3 (a 2-week guard band), C3 sums the positive parts of C2 − 1 over weeks t−2…t
(spec surveillance-methods.md §2; surv `R/earsC.R`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy.stats import norm

from amrwatch.detect.series import Detection
from amrwatch.errors import ConfigurationError

#: Default one-sided alpha per method: "the choices made at the CDC" (surv `man/earsC.Rd`).
CDC_ALPHA = {"C1": 0.001, "C2": 0.001, "C3": 0.025}
#: Lag of the last baseline week before the monitored week.
GUARD = {"C1": 0, "C2": 2, "C3": 2}


@dataclass(frozen=True)
class EarsC:
    """Parameters of EARS C1/C2/C3; defaults are surveillance's (baseline 7, minSigma 0).

    `c3_bound="surveillance"` reproduces surveillance ≤ 1.26, whose C3 bound is built on the
    week's own count (y_t + S₂(z − lag terms)) so that the alarm reduces to "the two previous C2
    excesses sum above z"; `"published"` is the bound implied by the C3 statistic itself:
    alarm when Σ_{t−2..t} max(0, C2 − 1) > z, i.e. y_t > Ȳ₂ + S₂(1 + z − lag terms).
    """

    method: Literal["C1", "C2", "C3"] = "C1"
    baseline: int = 7
    alpha: float | None = None
    min_sigma: float = 0.0
    c3_bound: Literal["surveillance", "published"] = "surveillance"
    monitor_from: int | None = None
    name: ClassVar[str] = "ears"

    def __post_init__(self) -> None:
        if self.method not in CDC_ALPHA:
            raise ConfigurationError("EARS method must be C1, C2 or C3", {"method": self.method})
        if self.baseline < 3:
            raise ConfigurationError("EARS baseline must be at least 3 weeks", {"baseline": self.baseline})
        if self.min_sigma < 0:
            raise ConfigurationError("EARS min_sigma must be ≥ 0", {"min_sigma": self.min_sigma})
        if self.c3_bound not in ("surveillance", "published"):
            raise ConfigurationError("c3_bound must be surveillance or published", {"c3_bound": self.c3_bound})

    def history(self) -> int:
        return self.baseline + {"C1": 0, "C2": 2, "C3": 4}[self.method]

    def default_start(self, n: int) -> int:
        return self.history()

    def z(self) -> float:
        return float(norm.ppf(1 - (self.alpha if self.alpha is not None else CDC_ALPHA[self.method])))

    def _baseline_stats(self, y: np.ndarray, first: int) -> tuple[np.ndarray, np.ndarray]:
        """Mean and floored SD of the baseline of every week from `first` on."""
        windows = sliding_window_view(y, self.baseline)
        lag = self.baseline + GUARD[self.method]
        ref = windows[first - lag : len(y) - lag]
        return ref.mean(axis=1), np.maximum(ref.std(axis=1, ddof=1), self.min_sigma)

    def run(self, observed: np.ndarray, population: np.ndarray | None, start: int) -> Detection:
        z = self.z()
        y = observed
        if self.method != "C3":
            mean, sd = self._baseline_stats(y, start)
            upper = mean + z * sd
            return Detection(mean, upper, _exceeds(y[start:], upper))
        mean2, sd2 = self._baseline_stats(y, start - 2)
        with np.errstate(divide="ignore", invalid="ignore"):
            c2 = (y[start - 2 :] - mean2) / sd2
        excess = np.maximum(0.0, c2 - 1)
        lags = excess[:-2] + excess[1:-1]  # weeks t−2 and t−1
        mean, sd, now = mean2[2:], sd2[2:], y[start:]
        with np.errstate(invalid="ignore"):
            if self.c3_bound == "surveillance":
                upper = np.maximum(0.0, now + sd * (z - lags))
                return Detection(mean, upper, _exceeds(now, upper))
            # when the two previous weeks already sum above z, any count alarms
            upper = np.where(lags > z, 0.0, np.maximum(0.0, mean + sd * (1 + z - lags)))
            c3 = lags + excess[2:]
            alarm = np.where(np.isnan(c3), np.nan, (c3 > z).astype(np.float64))
        return Detection(mean, upper, alarm)


def _exceeds(y: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Alarm when the count is above the bound; undefined (NaN) where the bound is (R's NA)."""
    with np.errstate(invalid="ignore"):
        return np.where(np.isnan(upper), np.nan, (y > upper).astype(np.float64))
