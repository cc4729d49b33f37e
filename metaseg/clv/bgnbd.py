"""BG/NBD (Fader, Hardie & Lee 2005): repeat purchases and P(alive), fit by maximum likelihood.

While alive, a customer buys at a Poisson rate ``lambda`` (gamma-distributed across
customers with shape ``r`` and rate ``alpha``); after each repeat purchase they drop out
with probability ``p`` (beta-distributed with ``a``, ``b``). The likelihood of a
customer's ``(x, t_x, T)`` (repeat purchases, recency, time since the first purchase) is
closed-form, so the four parameters are fitted by maximising it with
:func:`scipy.optimize.minimize` on their logarithms. Customers with the same summary
are weighted instead of repeated, so a million customers cost a few thousand terms.

Reference: Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). "Counting your customers
the easy way: An alternative to the Pareto/NBD model". Marketing Science 24(2), 275-284,
equations (6), (10) and (13).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special

from metaseg.clv._inputs import check_summary, grouped

_NAMES = ("r", "alpha", "a", "b")
#: Distinct summaries the first, derivative-free search reads (all of them when fewer).
_WARM_ROWS = 20_000


def _subsample(n: int, size: int) -> np.ndarray:
    """Indices of at most ``size`` of ``n`` rows, drawn with a fixed seed."""
    if n <= size:
        return np.arange(n)
    return np.sort(np.random.default_rng(0).choice(n, size, replace=False))


@dataclass(frozen=True)
class BGNBDFit:
    """A fitted BG/NBD model.

    Attributes
    ----------
    r, alpha, a, b : float
        The purchase-rate gamma (shape ``r``, rate ``alpha``, per time unit of the
        summary) and the dropout beta (``a``, ``b``).
    log_likelihood : float
        The maximised log-likelihood over the fitted customers.
    n_customers : int
        Customers the model was fitted on.
    converged : bool
        Whether the optimiser reported success.
    """

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    n_customers: int
    converged: bool

    @property
    def params_(self) -> dict[str, float]:
        """The four parameters by name."""
        return {name: getattr(self, name) for name in _NAMES}

    def p_alive(self, frequency: np.ndarray, recency: np.ndarray, T: np.ndarray) -> np.ndarray:
        """Probability each customer is still alive at the end of the calibration period.

        Equation (13): ``1 / (1 + [x > 0] a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x))``.
        A customer without a repeat purchase (``x = 0``) is alive with probability 1: in
        the BG/NBD a customer can drop out only right after a repeat purchase.
        """
        x, t_x, T = _arrays(frequency, recency, T)
        return 1.0 / (1.0 + np.exp(_log_dropout_term(self, x, t_x, T)))

    def expected_purchases(
        self, t: float, frequency: np.ndarray, recency: np.ndarray, T: np.ndarray
    ) -> np.ndarray:
        """Expected repeat purchases in the next ``t`` time units (equation (10)).

        Examples
        --------
        >>> fit = BGNBDFit(0.243, 4.414, 0.793, 2.426, 0.0, 2357, True)
        >>> bool(fit.expected_purchases(39.0, [2], [30.43], [38.86])[0] > 1.0)
        True
        """
        x, t_x, T = _arrays(frequency, recency, T)
        if t <= 0:
            return np.zeros_like(x)
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        z = t / (alpha + T + t)
        hyper = special.hyp2f1(r + x, b + x, a + b + x - 1.0, z)
        ratio = np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + T + t)))
        numerator = (a + b + x - 1.0) / (a - 1.0) * (1.0 - ratio * hyper)
        return numerator * self.p_alive(x, t_x, T)

    def expected_purchases_new(self, t: float | np.ndarray) -> np.ndarray:
        """Expected purchases in ``t`` time units of a customer just acquired (equation (9))."""
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        t = np.asarray(t, dtype=np.float64)
        hyper = special.hyp2f1(r, b, a + b - 1.0, t / (alpha + t))
        return (a + b - 1.0) / (a - 1.0) * (1.0 - (alpha / (alpha + t)) ** r * hyper)


def _arrays(frequency, recency, T) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (
        np.asarray(frequency, dtype=np.float64),
        np.asarray(recency, dtype=np.float64),
        np.asarray(T, dtype=np.float64),
    )


def _log_dropout_term(fit: BGNBDFit, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """``log(a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x))``, -inf where ``x = 0``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        term = (
            np.log(fit.a)
            - np.log(fit.b + x - 1.0)
            + (fit.r + x) * (np.log(fit.alpha + T) - np.log(fit.alpha + t_x))
        )
    return np.where(x > 0, term, -np.inf)


def log_likelihood(
    params: np.ndarray,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    weights: np.ndarray,
    x_groups: tuple[np.ndarray, np.ndarray] | None = None,
) -> float:
    """Sum of the BG/NBD log-likelihood (equation (6)) over weighted customers.

    ``x_groups`` is ``np.unique(x, return_inverse=True)`` when already known.

    Examples
    --------
    >>> ll = log_likelihood(np.array([0.243, 4.414, 0.793, 2.426]),
    ...                     np.array([0.0]), np.array([0.0]), np.array([38.86]), np.array([1.0]))
    >>> round(ll, 4)
    -0.5547
    """
    r, alpha, a, b = params
    # the gamma-function terms depend on x only: evaluate them once per distinct x
    xs, at = np.unique(x, return_inverse=True) if x_groups is None else x_groups
    by_x = (
        special.gammaln(r + xs)
        - special.gammaln(r)
        + special.gammaln(a + b)
        + special.gammaln(b + xs)
        - special.gammaln(b)
        - special.gammaln(a + b + xs)
    )
    a1 = r * np.log(alpha) + by_x[at]
    a3 = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.log(a) - np.log(b + x - 1.0) - (r + x) * np.log(alpha + t_x)
    a4 = np.where(x > 0, a4, -np.inf)
    return float(np.sum(weights * (a1 + np.logaddexp(a3, a4))))


def log_likelihood_gradient(
    params: np.ndarray,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    weights: np.ndarray,
    x_groups: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[float, np.ndarray]:
    """The weighted BG/NBD log-likelihood and its gradient in ``(r, alpha, a, b)``.

    With ``w`` the share of ``exp(A3)`` in ``exp(A3) + [x > 0] exp(A4)`` (the last term of
    equation (6)), the derivatives are sums of digamma differences and of ``w``- and
    ``1 - w``-weighted logs and ratios.

    Examples
    --------
    >>> args = (np.array([0.0, 2.0]), np.array([0.0, 30.4]), np.array([38.9, 38.9]), np.ones(2))
    >>> params = np.array([0.243, 4.414, 0.793, 2.426])
    >>> value, gradient = log_likelihood_gradient(params, *args)
    >>> bool(np.isclose(value, log_likelihood(params, *args)))
    True
    """
    r, alpha, a, b = params
    xs, at = np.unique(x, return_inverse=True) if x_groups is None else x_groups
    lg = special.gammaln
    by_x = lg(r + xs) - lg(r) + lg(a + b) + lg(b + xs) - lg(b) - lg(a + b + xs)
    dg = special.digamma
    d_r_x = (dg(r + xs) - dg(r))[at]
    d_a_x = (dg(a + b) - dg(a + b + xs))[at]
    d_b_x = (dg(a + b) + dg(b + xs) - dg(b) - dg(a + b + xs))[at]
    log_at = np.log(alpha + T)
    log_atx = np.log(alpha + t_x)
    a3 = -(r + x) * log_at
    repeat = x > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.where(repeat, np.log(a) - np.log(b + x - 1.0) - (r + x) * log_atx, -np.inf)
        b_term = np.where(repeat, 1.0 / (b + x - 1.0), 0.0)
    last = np.logaddexp(a3, a4)
    w3 = np.exp(a3 - last)
    w4 = 1.0 - w3
    value = float(np.sum(weights * (r * np.log(alpha) + by_x[at] + last)))
    gradient = np.array(
        [
            np.sum(weights * (d_r_x + np.log(alpha) - w3 * log_at - w4 * log_atx)),
            np.sum(weights * (r / alpha - (r + x) * (w3 / (alpha + T) + w4 / (alpha + t_x)))),
            np.sum(weights * (d_a_x + w4 / a)),
            np.sum(weights * (d_b_x - w4 * b_term)),
        ]
    )
    return value, gradient


def fit_bgnbd(
    summary: pd.DataFrame, *, initial: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0)
) -> BGNBDFit:
    """Fit BG/NBD by maximum likelihood on a repeat-purchase summary.

    Parameters
    ----------
    summary : DataFrame
        ``frequency``, ``recency`` and ``T`` per customer (see
        :func:`metaseg.facts.clv_summary.compute_repeat_summary`).
    initial : tuple of 4 floats
        Starting values of ``r, alpha, a, b``.

    Returns
    -------
    BGNBDFit

    Raises
    ------
    DataError
        When a column is missing, holds NaN or negative values, ``recency > T``, or
        fewer than 2 customers have a repeat purchase (nothing to fit).

    Examples
    --------
    >>> summary = pd.DataFrame({"frequency": [0, 1, 3, 0, 2, 5],
    ...                         "recency": [0.0, 4.0, 20.0, 0.0, 10.0, 30.0],
    ...                         "T": [30.0, 25.0, 35.0, 10.0, 40.0, 32.0]})
    >>> fit = fit_bgnbd(summary)
    >>> fit.n_customers, fit.converged
    (6, True)
    """
    x, t_x, T = check_summary(summary, "fit_bgnbd")
    (x, t_x, T), weights = grouped(x, t_x, T)
    scale = float(weights.sum())
    groups = np.unique(x, return_inverse=True)

    def objective(log_params: np.ndarray) -> tuple[float, np.ndarray]:
        value, gradient = log_likelihood_gradient(np.exp(log_params), x, t_x, T, weights, groups)
        if not np.isfinite(value) or not np.isfinite(gradient).all():
            return 1e300, np.zeros(4)
        # the gradient with respect to the log-parameters: d/d(log p) = p d/dp
        return -value / scale, -gradient * np.exp(log_params) / scale

    start = np.log(np.asarray(initial, dtype=np.float64))
    # a derivative-free search on at most _WARM_ROWS distinct rows finds the basin, then
    # BFGS on every row polishes it (the rows are drawn with a fixed seed: deterministic)
    warm = _subsample(len(x), _WARM_ROWS)

    def warm_objective(log_params: np.ndarray) -> float:
        w = weights[warm]
        value = -log_likelihood(np.exp(log_params), x[warm], t_x[warm], T[warm], w) / w.sum()
        return value if np.isfinite(value) else 1e300

    result = optimize.minimize(
        warm_objective,
        start,
        method="Nelder-Mead",
        options={"xatol": 1e-6, "fatol": 1e-10, "maxiter": 4000},
    )
    result = optimize.minimize(objective, result.x, jac=True, method="BFGS", options={"gtol": 1e-9})
    r, alpha, a, b = np.exp(result.x)
    ll = log_likelihood(np.exp(result.x), x, t_x, T, weights)
    converged = bool(np.isfinite(ll)) and (result.success or result.status == 2)
    return BGNBDFit(float(r), float(alpha), float(a), float(b), ll, int(scale), converged)
