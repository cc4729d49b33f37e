"""Gamma-Gamma spend model (Fader, Hardie & Lee 2005), fit by maximum likelihood.

A customer's transaction values are gamma with shape ``p`` and a rate ``nu`` that is
itself gamma across customers (shape ``q``, rate ``gamma``). Given ``x`` repeat purchases
of mean value ``m``, the likelihood is closed-form, and the expected value of the
customer's future transactions is a weighted mean of the population mean
``p gamma / (q - 1)`` and ``m``, with weight ``p x / (p x + q - 1)`` on ``m``.

Reference: Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). "RFM and CLV: Using
iso-value curves for customer base analysis". Journal of Marketing Research 42(4),
415-430; Fader & Hardie (2013), "The Gamma-Gamma model of monetary value".
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special

from metaseg._messages import preview
from metaseg.clv._inputs import grouped
from metaseg.exceptions import DataError, DataQualityWarning

_NAMES = ("p", "q", "gamma")


@dataclass(frozen=True)
class GammaGammaFit:
    """A fitted Gamma-Gamma model.

    Attributes
    ----------
    p, q, gamma : float
        Transaction-value shape ``p``; the rate's gamma (shape ``q``, rate ``gamma``).
    log_likelihood : float
        The maximised log-likelihood.
    n_customers : int
        Repeat customers the model was fitted on.
    converged : bool
        Whether the optimiser reported success.
    n_without_value : int
        Repeat customers left out of the fit because their repeat purchases have no
        positive mean value (free orders, amounts of 0).
    """

    p: float
    q: float
    gamma: float
    log_likelihood: float
    n_customers: int
    converged: bool
    n_without_value: int = 0

    @property
    def params_(self) -> dict[str, float]:
        """The three parameters by name."""
        return {name: getattr(self, name) for name in _NAMES}

    @property
    def population_mean(self) -> float:
        """Mean transaction value of a customer with no repeat purchase yet: ``p gamma / (q - 1)``.

        Infinite when ``q <= 1`` (the model then has no finite mean).
        """
        return self.p * self.gamma / (self.q - 1.0) if self.q > 1.0 else float("inf")

    def expected_value(self, frequency: np.ndarray, monetary_value: np.ndarray) -> np.ndarray:
        """Expected value of each customer's future transactions.

        Customers without a repeat purchase (``frequency == 0``) or without a mean value
        (NaN) get :attr:`population_mean`.

        Examples
        --------
        >>> fit = GammaGammaFit(6.25, 3.74, 15.44, 0.0, 946, True)
        >>> fit.expected_value(np.array([0, 2]), np.array([np.nan, 40.0])).round(2).tolist()
        [35.22, 39.14]
        """
        x = np.asarray(frequency, dtype=np.float64)
        m = np.asarray(monetary_value, dtype=np.float64)
        known = (x > 0) & np.isfinite(m)
        weight = np.where(known, self.p * x / (self.p * x + self.q - 1.0), 0.0)
        return weight * np.where(known, m, 0.0) + (1.0 - weight) * self.population_mean


def log_likelihood(params: np.ndarray, x: np.ndarray, m: np.ndarray, weights: np.ndarray) -> float:
    """Sum of the Gamma-Gamma log-likelihood of mean values ``m`` of ``x`` transactions."""
    p, q, gamma = params
    px = p * x
    terms = (
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * np.log(gamma)
        + (px - 1.0) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(gamma + m * x)
    )
    return float(np.sum(weights * terms))


def fit_gamma_gamma(
    summary: pd.DataFrame, *, initial: tuple[float, float, float] = (1.0, 1.0, 1.0)
) -> GammaGammaFit:
    """Fit Gamma-Gamma by maximum likelihood on the customers with repeat purchases.

    Parameters
    ----------
    summary : DataFrame
        ``frequency`` and ``monetary_value`` (mean value of the repeat purchase days).
        Only rows with ``frequency > 0`` and a positive ``monetary_value`` are fitted
        (the model has positive spend): repeat customers whose mean value is 0 are left
        out, counted in ``n_without_value`` and in a warning.
    initial : tuple of 3 floats
        Starting values of ``p, q, gamma``.

    Returns
    -------
    GammaGammaFit

    Examples
    --------
    >>> summary = pd.DataFrame({"frequency": [1, 2, 3, 1, 4, 0],
    ...                         "monetary_value": [20.0, 35.0, 28.0, 50.0, 31.0, np.nan]})
    >>> fit_gamma_gamma(summary).n_customers
    5
    """
    for column in ("frequency", "monetary_value"):
        if column not in getattr(summary, "columns", ()):
            raise DataError(
                f"fit_gamma_gamma: summary has no column {column!r}; it needs frequency and "
                "monetary_value (compute_repeat_summary gives both)."
            )
    x = summary["frequency"].to_numpy(dtype=np.float64)
    m = summary["monetary_value"].to_numpy(dtype=np.float64)
    repeat = (x > 0) & np.isfinite(m)
    bad = repeat & (m <= 0)
    if (m[repeat] < 0).any():
        raise DataError(
            f"fit_gamma_gamma: monetary_value must be >= 0, got "
            f"{preview(m[repeat & (m < 0)][:3].tolist())}; amounts are never negative."
        )
    if bad.any():
        warnings.warn(
            f"fit_gamma_gamma: {int(bad.sum()):,} repeat customer(s) have repeat purchases "
            "worth 0 in total; they are left out of the spend model (it models positive "
            "spend) and their expected order value is shrunk from 0 towards the mean.",
            DataQualityWarning,
            stacklevel=2,
        )
        repeat &= ~bad
    if repeat.sum() < 2:
        raise DataError(
            f"fit_gamma_gamma: only {int(repeat.sum())} customer(s) have a repeat purchase with "
            "a value; the model needs at least 2."
        )
    (x, m), weights = grouped(x[repeat], m[repeat])
    # scale money to about 1 so the optimiser's steps are well conditioned
    scale = float(np.median(m))
    ms = m / scale
    total = float(weights.sum())

    def objective(log_params: np.ndarray) -> float:
        value = -log_likelihood(np.exp(log_params), x, ms, weights) / total
        return value if np.isfinite(value) else 1e300

    start = np.log(np.asarray(initial, dtype=np.float64))
    result = optimize.minimize(
        objective,
        start,
        method="Nelder-Mead",
        options={"xatol": 1e-8, "fatol": 1e-12, "maxiter": 4000},
    )
    result = optimize.minimize(objective, result.x, method="BFGS", options={"gtol": 1e-9})
    p, q, gamma_scaled = np.exp(result.x)
    gamma = float(gamma_scaled * scale)
    ll = log_likelihood(np.array([p, q, gamma]), x, m, weights)
    converged = bool(np.isfinite(ll)) and (result.success or result.status == 2)
    return GammaGammaFit(float(p), float(q), gamma, ll, int(total), converged, int(bad.sum()))
