"""CUSUM for counts as R `surveillance::algo.cusum` (Rossi et al. 1999 transformations).

Takes one count series; gives for each monitored week the in-control mean m (expected), the
smallest count that would raise an alarm given the running sum (upper bound) and the alarm.
z_t is the standardised count, S_t = max(0, S_{t−1} + z_t − k), alarm when S_t ≥ h
(spec surveillance-methods.md §3.2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np

from amrwatch.detect.series import Detection
from amrwatch.errors import ConfigurationError


@dataclass(frozen=True)
class Cusum:
    """Parameters of the CUSUM; k and h are surveillance's defaults (1.04, 2.26).

    `m` is the in-control mean; None uses the mean of all weeks before the first monitored one,
    as surveillance does. Without `monitor_from`, the first 52 weeks are the history.
    """

    k: float = 1.04
    h: float = 2.26
    m: float | None = None
    trans: Literal["standard", "rossi", "anscombe"] = "standard"
    reset: bool = False
    monitor_from: int | None = None
    default_history: int = 52
    name: ClassVar[str] = "cusum"

    def __post_init__(self) -> None:
        if self.trans not in ("standard", "rossi", "anscombe"):
            raise ConfigurationError(
                "CUSUM transformation must be standard, rossi or anscombe", {"trans": self.trans}
            )
        if self.h <= 0:
            raise ConfigurationError("CUSUM decision boundary h must be > 0", {"h": self.h})

    def history(self) -> int:
        return 0 if self.m is not None else 1

    def default_start(self, n: int) -> int:
        return self.default_history

    def run(self, observed: np.ndarray, population: np.ndarray | None, start: int) -> Detection:
        m = self.m if self.m is not None else float(observed[:start].mean())
        x = observed[start:]
        sums, alarm = self._path(self._standardise(x, m))
        before = np.r_[0.0, sums[:-1]]  # S_{t−1}, after any reset
        upper = np.nan_to_num(self._bound(m, before), nan=0.0)
        return Detection(np.full(len(x), m), np.maximum(upper, 0.0), alarm)

    def _standardise(self, x: np.ndarray, m: float) -> np.ndarray:
        if self.trans == "rossi":
            return (x - 3 * m + 2 * np.sqrt(x * m)) / (2 * np.sqrt(m))
        if self.trans == "anscombe":
            return 1.5 * (x ** (2 / 3) - m ** (2 / 3)) / m ** (1 / 6)
        return (x - m) / np.sqrt(m)

    def _path(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The running sums and alarms; a loop over weeks of one series, as the recursion needs."""
        sums, alarm, s = np.empty(len(z)), np.empty(len(z)), 0.0
        for t, value in enumerate(z - self.k):
            s = max(0.0, s + value)
            alarm[t] = float(s >= self.h)
            s = 0.0 if self.reset and alarm[t] else s
            sums[t] = s
        return sums, alarm

    def _bound(self, m: float, before: np.ndarray) -> np.ndarray:
        """Smallest count reaching h, solved from each transformation (surv `algo.cusum`)."""
        reach = self.h + self.k - before
        if self.trans == "rossi":
            inner = 4 * m**2 + 2 * m**1.5 * reach
            with np.errstate(invalid="ignore"):
                return 2 * reach * np.sqrt(m) + 5 * m - 2 * np.sqrt(inner)
        if self.trans == "anscombe":
            base = (2 / 3) * m ** (1 / 6) * reach + m ** (2 / 3)
            return np.where(base < 0, 0.0, np.abs(base) ** 1.5)
        return np.ceil(np.sqrt(m) * reach + m)
