"""Intervals for rates and ratios of rates (closed-form, no resampling).

* A conversion rate ``x / n`` gets the Wilson score interval.
* A ratio of two independent rates (treated / holdout) gets the delta-method interval
  on the log scale: ``var(log p1/p0) = (1-p1)/(n1 p1) + (1-p0)/(n0 p0)``.
* A segment's rate against the whole population's, the segment being part of it, keeps
  the covariance: ``var(log ps/p) = (1-ps)/(ns ps) + (1-p)/(n p) - 2 (1-ps)/(n p)``.
* A ratio of mean revenues per send uses ``var(log m) = s^2 / (n m^2)`` for each mean.

Undefined intervals (no conversion, empty group) are NaN.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import norm


def z_value(confidence: float) -> float:
    """Two-sided normal quantile, e.g. 1.96 for 0.95."""
    return float(norm.ppf(0.5 + confidence / 2.0))


def wilson(x: np.ndarray, n: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of ``x / n`` (NaN where ``n == 0``).

    Examples
    --------
    >>> low, high = wilson(np.array([50.0]), np.array([100.0]), 1.96)
    >>> round(float(low[0]), 3), round(float(high[0]), 3)
    (0.404, 0.596)
    """
    x = np.asarray(x, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = x / n
        denom = 1.0 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    return np.where(n > 0, centre - half, np.nan), np.where(n > 0, centre + half, np.nan)


def log_ratio_interval(
    ratio: np.ndarray, variance: np.ndarray, z: float
) -> tuple[np.ndarray, np.ndarray]:
    """``ratio * exp(±z sqrt(variance))``, NaN where undefined."""
    ratio = np.asarray(ratio, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        half = z * np.sqrt(variance)
        ok = np.isfinite(ratio) & (ratio > 0) & np.isfinite(half) & (variance >= 0)
        return np.where(ok, ratio * np.exp(-half), np.nan), np.where(
            ok, ratio * np.exp(half), np.nan
        )


def var_log_rate(p: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Delta-method variance of ``log p`` for a rate from ``n`` trials."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((p > 0) & (n > 0), (1 - p) / (n * p), np.nan)


def var_log_mean(mean: np.ndarray, var: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Delta-method variance of ``log mean`` of ``n`` values with variance ``var``."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((mean > 0) & (n > 1), var / (n * mean**2), np.nan)
