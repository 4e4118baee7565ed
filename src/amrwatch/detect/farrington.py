"""Farrington flexible with the improvements of Noufaily et al. (2013), as R `surveillance`.

Takes one weekly count series (optionally a population, e.g. isolates tested, as a log offset);
gives for each monitored week the expected count, the upper bound and the alarm. For week t₀ a
quasi-Poisson GLM is fitted (statsmodels) to the same season of the `b` previous years (with
`no_periods` seasonal levels over the rest of each year), down-weighting past outbreaks by
Anscombe residuals, and the bound is the (1−α) quantile of the predictive distribution
(spec surveillance-methods.md §1; Noufaily et al., Stat Med 2013;32:1206–22; Salmon et al.,
J Stat Softw 2016;70(10); surv `R/farringtonFlexible.R`, `R/algo_farrington.R`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from typing import ClassVar, Literal

import numpy as np
from scipy import stats

from amrwatch.detect.glm import QuasiPoissonFit, fit_quasi_poisson
from amrwatch.detect.series import Detection
from amrwatch.errors import ConfigurationError


@dataclass(frozen=True)
class Farrington:
    """Parameters; defaults are the Noufaily-improved column of the spec (§1.2).

    The original Farrington (1996) algorithm is `weights_threshold=1, p_threshold_trend=0.05,
    no_periods=1, past_weeks_not_included=None, threshold_method="delta"`.
    `population_offset=None` uses an offset whenever the series has a population.
    """

    b: int = 5
    w: int = 3
    reweight: bool = True
    weights_threshold: float = 2.58
    alpha: float = 0.05
    trend: bool = True
    p_threshold_trend: float = 1.0
    limit54: tuple[int, int] = (5, 4)
    powertrans: Literal["2/3", "1/2", "none"] = "2/3"
    no_periods: int = 10
    past_weeks_not_included: int | None = 26
    threshold_method: Literal["nbPlugin", "muan", "delta"] = "nbPlugin"
    population_offset: bool | None = None
    freq: int = 52
    monitor_from: int | None = None
    #: amrwatch extension, off by default (not in surveillance): where fewer than b years precede
    #: a week, use the years there are (at least one) instead of not monitoring — a new hub
    #: gets bounds from its second year on.
    shrink_b: bool = False
    name: ClassVar[str] = "farrington"

    def __post_init__(self) -> None:
        if self.threshold_method not in ("nbPlugin", "muan", "delta"):
            raise ConfigurationError(
                "threshold_method must be nbPlugin, muan or delta",
                {"threshold_method": self.threshold_method},
            )
        if self.powertrans not in ("2/3", "1/2", "none"):
            raise ConfigurationError("powertrans must be 2/3, 1/2 or none", {"powertrans": self.powertrans})
        if not (self.limit54[0] >= 0 and self.limit54[1] > 0):
            raise ConfigurationError("limit54 must be (cases ≥ 0, weeks > 0)", {"limit54": self.limit54})
        if self.no_periods > 1 and self.freq - 2 * self.w - 1 < self.no_periods - (2 * self.w + 1):
            raise ConfigurationError("no_periods too big for the year length", {"no_periods": self.no_periods})

    def history(self) -> int:
        return self.freq * (1 if self.shrink_b else self.b) + self.w

    def default_start(self, n: int) -> int:
        return self.history()

    def run(self, observed: np.ndarray, population: np.ndarray | None, start: int) -> Detection:
        offset = population is not None and self.population_offset is not False
        if self.population_offset and population is None:
            raise ConfigurationError("population_offset needs a population in every series", {},
                                     hint="add a population column, or use --no-population-offset")
        pop = population if offset else None
        rows = [self._for_week(t)._week(observed, pop, t) for t in range(start, len(observed))]
        expected, upper, alarm = (np.array(col, dtype=np.float64) for col in zip(*rows))
        return Detection(expected, upper, alarm)

    def _for_week(self, t: int) -> Farrington:
        years = (t - self.w) // self.freq
        return replace(self, b=years) if self.shrink_b and years < self.b else self

    def blocks(self, t: int) -> np.ndarray:
        """Seasonal level (1…no_periods, NaN = not used) of weeks 0…t for monitoring week t."""
        p, w = self.no_periods, self.w
        level = np.full(t + 1, np.nan)
        level[t - w : t + 1] = p
        for i in range(1, self.b + 1):
            ref, later = t - i * self.freq, t - (i - 1) * self.freq
            level[ref - w : ref + w + 1] = p
            if p == 1:
                continue
            period = later - 2 * w - 1 - ref
            lengths = np.full(p - 1, period // (p - 1))
            lengths[: period % (p - 1)] += 1
            edges = ref + w + 1 + np.r_[0, np.cumsum(lengths)]
            for j in range(p - 1):
                # an empty block overwrites its two neighbours, as R's `a:(a-1)` does
                cells = np.arange(edges[j], edges[j + 1]) if lengths[j] else [edges[j], edges[j] - 1]
                level[cells] = j + 1
        skip = self.w if self.past_weeks_not_included is None else self.past_weeks_not_included
        level[t - skip : t + 1] = np.nan
        return level

    def _design(self, weeks: np.ndarray, level: np.ndarray, levels: np.ndarray, trend: bool):
        """Intercept, time (1-based week number) and seasonal levels coded against the first."""
        columns = [np.ones(len(weeks))]
        if trend:
            columns.append(weeks + 1.0)
        if self.no_periods != 1:
            columns.extend((level == value).astype(np.float64) for value in levels[1:])
        return np.column_stack(columns)

    def _fit(self, y, weeks, level, log_pop, trend: bool) -> tuple[QuasiPoissonFit | None, bool]:
        """Fit, falling back to no trend if it fails to converge; then re-weight (surv fitGLM)."""
        levels = np.unique(level)
        fit = fit_quasi_poisson(y, self._design(weeks, level, levels, trend), log_pop)
        if not fit.converged and trend:
            trend = False
            fit = fit_quasi_poisson(y, self._design(weeks, level, levels, False), log_pop)
        if not fit.converged:
            return None, trend
        if self.reweight:
            residuals = fit.anscombe_residuals(max(fit.dispersion, 1.0))
            weights = reweighting(residuals, self.weights_threshold)
            fit = fit_quasi_poisson(y, self._design(weeks, level, levels, trend), log_pop, weights)
            fit = replace(fit, error_dispersion=fit.prior_weights_as_working())
        return fit, trend

    def _week(self, observed: np.ndarray, pop: np.ndarray | None, t: int) -> tuple[float, float, float]:
        cases, weeks_back = self.limit54
        if observed[max(0, t - weeks_back + 1) : t + 1].sum() < cases:
            # surveillance fits the model anyway, then reports no bound and no alarm (§1.1
            # step 7); skipping the fit gives the same output and keeps sparse series fast
            return np.nan, np.nan, 0.0
        level = self.blocks(t)
        weeks = np.flatnonzero(~np.isnan(level))
        y, level = observed[weeks], level[weeks]
        log_pop = None if pop is None else np.log(pop[weeks])
        now_offset = 0.0 if pop is None else float(np.log(pop[t]))
        now = self._design(np.array([t]), np.array([float(self.no_periods)]), np.unique(level), True)[0]
        fit, trend = self._fit(y, weeks, level, log_pop, self.trend)
        if fit is None:
            return np.nan, np.nan, np.nan
        if trend:
            eta, _ = fit.predict(now, now_offset)
            keep = (
                self.b >= 3
                and fit.p_value(1) < self.p_threshold_trend
                and np.exp(eta) <= y.max()
            )
            if not keep:
                fit, trend = self._fit(y, weeks, level, log_pop, False)
                if fit is None:
                    return np.nan, np.nan, np.nan
        x0 = now if trend else np.delete(now, 1)
        eta, se = fit.predict(x0, now_offset)
        return self._threshold(eta, se, max(fit.dispersion, 1.0), observed, t)

    def _threshold(self, eta: float, se_eta: float, phi: float, observed: np.ndarray, t: int):
        y = observed[t]
        cases, weeks = self.limit54
        enough = observed[max(0, t - weeks + 1) : t + 1].sum() >= cases
        if self.threshold_method == "delta":
            mu = np.exp(eta)
            upper, score = delta_bound(mu, mu * se_eta, phi, self.alpha, self.powertrans, y)
        else:
            upper, score = quantile_bound(eta, se_eta, phi, self.alpha, self.threshold_method, y)
        alarm = float(enough and not np.isnan(score) and score > 1 and y != 0)
        if not enough or np.isnan(upper):
            return np.nan, np.nan, alarm
        return float(np.exp(eta)), float(upper), alarm


def reweighting(s: np.ndarray, threshold: float) -> np.ndarray:
    """Weights ω = γ s⁻² above the threshold, γ below, with Σω = n (Farrington 1996 §3.3)."""
    high = s > threshold
    raw = np.ones_like(s)
    raw[high] = s[high] ** -2.0
    return raw * (len(s) / raw.sum())


def delta_bound(mu, se_mu, phi, alpha, powertrans, y) -> tuple[float, float]:
    """Farrington's bound: a power transform of the quasi-Poisson predictive (spec §1.1 step 6)."""
    tau = phi + se_mu**2 / mu
    exponent, se = {
        "none": (1.0, np.sqrt(mu * tau)),
        "1/2": (0.5, np.sqrt(tau / 4)),
        "2/3": (2 / 3, np.sqrt(4 / 9 * mu ** (1 / 3) * tau)),
    }[powertrans]
    upper = (mu**exponent + stats.norm.ppf(1 - alpha) * se) ** (1 / exponent)
    return upper, (y - mu) / (upper - mu)


def quantile_bound(eta, se_eta, phi, alpha, method, y) -> tuple[float, float]:
    """Noufaily's bound: the (1−α) quantile of a negative binomial with mean μ₀, size μ₀/(φ−1).

    The score divides by (U − η̂₀) on the link scale, exactly as surveillance does; the alarm
    is then y > U.
    """
    mu = np.exp(eta) if method == "nbPlugin" else np.exp(stats.norm.ppf(1 - alpha, eta, se_eta))
    if not np.isfinite(mu):
        return np.nan, np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if phi > 1:
            upper = float(stats.nbinom.ppf(1 - alpha, mu / (phi - 1), 1 / phi))
        else:
            upper = float(stats.poisson.ppf(1 - alpha, mu))
    with np.errstate(divide="ignore", invalid="ignore"):
        return upper, (y - eta) / (upper - eta)
