"""A quasi-Poisson GLM (log link) fitted with statsmodels, with the quantities R reports.

Takes counts, a design matrix, an optional log offset and prior weights; gives coefficients,
convergence, the dispersion as `summary.glm` estimates it (weighted Pearson χ² over residual
df, not floored), hat values, Anscombe residuals, link-scale predictions with standard errors and
the t-test p-value of a coefficient — what Farrington's algorithm needs from R's `glm`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import statsmodels.api as sm
from scipy import stats

#: R's glm.control(): relative deviance change below 1e-8 within 25 iterations.
MAX_ITERATIONS = 25


@dataclass(frozen=True)
class QuasiPoissonFit:
    y: np.ndarray
    X: np.ndarray
    mu: np.ndarray
    params: np.ndarray
    weights: np.ndarray
    #: μ at the start of the last IRLS step: R keeps this step's working weights W = ω μ
    #: (glm.fit's `weights`), so its dispersion, (Xᵀ W X)⁻¹ and hat values use them.
    mu_working: np.ndarray
    unscaled_cov: np.ndarray  # (Xᵀ W X)⁻¹
    converged: bool
    #: dispersion behind standard errors and p-values; None = `dispersion`
    error_dispersion: float | None = None

    @property
    def df_residual(self) -> int:
        return len(self.y) - self.X.shape[1]

    @property
    def dispersion(self) -> float:
        """Σ Wᵢ ((yᵢ − μᵢ)/μᵢ)² / (n − p) ≈ Pearson χ²/df, exactly as R's summary.glm computes it."""
        if self.df_residual <= 0:
            return float("nan")
        pearson = self.weights * self.mu_working * ((self.y - self.mu) / self.mu) ** 2
        return float(np.sum(pearson) / self.df_residual)

    def prior_weights_as_working(self) -> float:
        """The dispersion R's summary.glm reports once a glm's working weights are replaced by
        its prior weights ω: Σ ω ((y − μ)/μ)² / (n − p). surveillance's re-weighted Farrington fit
        does this (`model$weights <- omega` in algo.farrington.fitGLM.flexible), so its standard
        errors and trend p-values use it; reproduced so that alarms match the reference.
        """
        return float(np.sum(self.weights * ((self.y - self.mu) / self.mu) ** 2) / self.df_residual)

    def _scale(self) -> float:
        return self.dispersion if self.error_dispersion is None else self.error_dispersion

    def hat_values(self) -> np.ndarray:
        root = self.X * np.sqrt(self.weights * self.mu_working)[:, None]
        return np.einsum("ij,jk,ik->i", root, self.unscaled_cov, root)

    def anscombe_residuals(self, phi: float) -> np.ndarray:
        """Standardised Anscombe residuals (Farrington 1996 eq. 3; surv `anscombe.residuals`)."""
        raw = 1.5 * (self.y ** (2 / 3) * self.mu ** (-1 / 6) - np.sqrt(self.mu))
        with np.errstate(divide="ignore", invalid="ignore"):
            return raw / np.sqrt(phi * (1 - self.hat_values()))

    def predict(self, x0: np.ndarray, offset: float = 0.0) -> tuple[float, float]:
        """Linear predictor η̂₀ and its standard error (unfloored dispersion, as predict.glm)."""
        eta = float(x0 @ self.params + offset)
        return eta, float(np.sqrt(x0 @ self.unscaled_cov @ x0 * self._scale()))

    def p_value(self, column: int) -> float:
        """Two-sided t-test of one coefficient on the residual df (R summary.glm, quasi family)."""
        se = np.sqrt(self.unscaled_cov[column, column] * self._scale())
        return float(2 * stats.t.sf(abs(self.params[column] / se), self.df_residual))


def fit_quasi_poisson(
    y: np.ndarray, X: np.ndarray, log_offset: np.ndarray | None = None, weights: np.ndarray | None = None
) -> QuasiPoissonFit:
    """Fit y ~ X (+ offset) by IRLS; the quasi-likelihood shares the Poisson estimates."""
    weights = np.ones(len(y)) if weights is None else weights
    model = sm.GLM(y, X, family=sm.families.Poisson(), offset=log_offset, var_weights=weights)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = model.fit(
                start_params=_r_first_step(y, X, log_offset, weights),
                maxiter=MAX_ITERATIONS - 1, tol=1e-8, atol=1e-9, rtol=1e-8,
            )
        except (np.linalg.LinAlgError, ValueError, FloatingPointError):
            return QuasiPoissonFit(y, X, y, np.zeros(X.shape[1]), weights, y, np.eye(X.shape[1]), False)
    offset = 0.0 if log_offset is None else log_offset
    mu_working = np.exp(X @ result.fit_history["params"][-2] + offset)
    root = X * np.sqrt(weights * mu_working)[:, None]
    cov = np.linalg.pinv(root.T @ root)
    converged = bool(result.converged) and bool(np.all(np.isfinite(result.params)))
    return QuasiPoissonFit(
        y, X, result.fittedvalues, np.asarray(result.params), weights, mu_working, cov, converged
    )


def _r_first_step(y, X, log_offset, weights) -> np.ndarray:
    """R's first IRLS step from μ = y + 0.1 (poisson()$initialize). Starting statsmodels there,
    with R's convergence rule (|Δ deviance| < 1e-8 (|deviance| + 0.1)), makes it stop where R
    stops, so estimates agree to far below the convergence tolerance.
    """
    mu = y + 0.1
    offset = 0.0 if log_offset is None else log_offset
    z = np.log(mu) - offset + (y - mu) / mu
    root = np.sqrt(weights * mu)
    return np.linalg.lstsq(X * root[:, None], z * root, rcond=None)[0]
