"""The potential-value model: BG/NBD and Gamma-Gamma together, and the facts they give.

:class:`CLVModel` is fitted on the repeat-purchase summary at the end of the calibration
period (:func:`metaseg.facts.clv_summary.compute_repeat_summary`) and turns any later
summary into the potential-value facts (:data:`CLV_FACTS`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError

from metaseg import schema
from metaseg.clv.bgnbd import fit_bgnbd
from metaseg.clv.gamma_gamma import fit_gamma_gamma
from metaseg.exceptions import ConfigError, DataError
from metaseg.facts.clv_summary import check_time_unit

#: Potential-value facts; ``{h}`` is each horizon in days.
CLV_FACTS: Final = {
    "p_alive": (
        "Probability the customer is still an active buyer at as_of (BG/NBD). 1 for a "
        "customer with a single purchase day (the BG/NBD lets customers drop out only after "
        "a repeat purchase; read expected_purchases_{h}d for them); 0 for a customer with no "
        "purchase (not a buyer)."
    ),
    "expected_purchases_{h}d": (
        "Expected purchase days in the {h} days after as_of (BG/NBD); 0 for a customer with "
        "no purchase."
    ),
    "expected_avg_order_value": (
        "Expected value of a future purchase day (Gamma-Gamma): the customer's mean repeat "
        "value shrunk towards the population mean; the population mean for customers "
        "without a repeat purchase or without a purchase."
    ),
    "clv_{h}d": "expected_purchases_{h}d x expected_avg_order_value, undiscounted.",
    "discounted_clv_{h}d": (
        "The same value discounted at discount_rate a year, purchases counted in steps of "
        "step_days days."
    ),
}

_DAYS_PER_YEAR: Final = 365.0


def clv_fact_columns(horizons: Iterable[int]) -> list[str]:
    """The potential-value fact names for the horizons (days).

    Examples
    --------
    >>> clv_fact_columns([90])
    ['p_alive', 'expected_purchases_90d', 'expected_avg_order_value', 'clv_90d', 'discounted_clv_90d']
    """
    horizons = _check_horizons(horizons)
    names = ["p_alive"]
    names += [f"expected_purchases_{h}d" for h in horizons]
    names.append("expected_avg_order_value")
    names += [f"clv_{h}d" for h in horizons]
    names += [f"discounted_clv_{h}d" for h in horizons]
    return names


def _check_horizons(horizons: Any) -> tuple[int, ...]:
    values = tuple(horizons) if isinstance(horizons, Iterable) else (horizons,)
    if not values or any(
        isinstance(h, bool) or not isinstance(h, int | np.integer) or h <= 0 for h in values
    ):
        raise ConfigError(
            f"horizons must be positive whole numbers of days, e.g. [90, 365], got {horizons!r}."
        )
    if len(set(values)) != len(values):
        raise ConfigError(f"horizons must not repeat, got {list(values)!r}.")
    return tuple(sorted(int(h) for h in values))


class CLVModel(BaseEstimator):
    """BG/NBD purchases and Gamma-Gamma spend, fitted by maximum likelihood.

    Parameters
    ----------
    horizons : tuple of int
        Horizons in days of ``expected_purchases_{h}d`` and ``clv_{h}d``.
    discount_rate : float
        Yearly discount rate of ``discounted_clv_{h}d`` (0.1 = 10 % a year).
    time_unit_days : float
        Time unit of the summary the model is fitted on (7: weeks, as for CDNOW).
    step_days : int
        Discounting step: purchases expected in each step are discounted from its end.
    backend : {"scipy", "pymc-marketing"}
        Who maximises the likelihood: scipy (closed form, the default) or pymc-marketing's
        ``BetaGeoModel`` / ``GammaGammaModel`` by MAP under flat priors (the ``clv``
        extra). Both give the same estimates; prediction is the same closed form.

    Attributes
    ----------
    bgnbd_ : BGNBDFit
    gamma_gamma_ : GammaGammaFit
    n_fit_customers_ : int

    Examples
    --------
    >>> summary = pd.DataFrame({"customer_id": range(6), "frequency": [0, 1, 3, 0, 2, 5],
    ...     "recency": [0.0, 4.0, 20.0, 0.0, 10.0, 30.0], "T": [30.0, 25.0, 35.0, 10.0, 40.0, 32.0],
    ...     "monetary_value": [np.nan, 20.0, 35.0, np.nan, 28.0, 50.0]})
    >>> model = CLVModel(horizons=(90,)).fit(summary)
    >>> facts = model.predict(summary, customer_ids=pd.Series(range(7)))
    >>> facts.loc[6, ["p_alive", "expected_purchases_90d", "clv_90d"]].tolist()
    [0.0, 0.0, 0.0]
    """

    def __init__(
        self,
        *,
        horizons: tuple[int, ...] = (90, 365),
        discount_rate: float = 0.0,
        time_unit_days: float = 7.0,
        step_days: int = 30,
        backend: str = "scipy",
    ) -> None:
        self.horizons = horizons
        self.discount_rate = discount_rate
        self.time_unit_days = time_unit_days
        self.step_days = step_days
        self.backend = backend

    def _check_params(self) -> tuple[tuple[int, ...], float, float, int]:
        horizons = _check_horizons(self.horizons)
        rate = self.discount_rate
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate < 10:
            raise ConfigError(
                f"discount_rate must be a yearly rate in [0, 10), e.g. 0.1 for 10 %, got {rate!r}."
            )
        if self.backend not in ("scipy", "pymc-marketing"):
            raise ConfigError(f"backend must be 'scipy' or 'pymc-marketing', got {self.backend!r}.")
        step = self.step_days
        if isinstance(step, bool) or not isinstance(step, int) or step <= 0:
            raise ConfigError(f"step_days must be a positive whole number of days, got {step!r}.")
        return horizons, float(rate), check_time_unit(self.time_unit_days), step

    def fit(self, summary: pd.DataFrame, y: Any = None) -> CLVModel:
        """Fit both models on the summary at the end of the calibration period."""
        self._check_params()
        _check_unit(summary, self.time_unit_days)
        if self.backend == "pymc-marketing":
            from metaseg.clv.pymc_backend import fit_with_pymc_marketing

            self.bgnbd_, self.gamma_gamma_ = fit_with_pymc_marketing(summary)
        else:
            self.bgnbd_ = fit_bgnbd(summary)
            self.gamma_gamma_ = fit_gamma_gamma(summary)
        self.n_fit_customers_ = len(summary)
        return self

    def predict(self, summary: pd.DataFrame, customer_ids: pd.Series | None = None) -> pd.DataFrame:
        """The potential-value facts of every customer.

        Parameters
        ----------
        summary : DataFrame
            The repeat-purchase summary at the scoring date (customers with a purchase).
        customer_ids : Series, optional
            Every customer to give facts to, in this order; those missing from
            ``summary`` have no purchase and get the values :data:`CLV_FACTS` documents.
            Default: the customers of ``summary``.

        Returns
        -------
        DataFrame
            ``customer_id`` and :func:`clv_fact_columns`, never NaN.
        """
        if not hasattr(self, "bgnbd_"):
            raise NotFittedError(
                "CLVModel is not fitted yet; call fit(summary) on the calibration summary."
            )
        horizons, rate, unit, step = self._check_params()
        _check_unit(summary, unit)
        ids = summary[schema.CUSTOMER_ID] if customer_ids is None else customer_ids
        position = pd.Index(summary[schema.CUSTOMER_ID]).get_indexer(pd.Index(ids))
        bought = position >= 0
        rows = summary.iloc[position[bought]]
        x = rows["frequency"].to_numpy(dtype=np.float64)
        t_x = rows["recency"].to_numpy(dtype=np.float64)
        T = rows["T"].to_numpy(dtype=np.float64)
        # customers with the same summary get the same BG/NBD values: compute them once
        (ux, ut_x, uT), at = _distinct(x, t_x, T)
        bg, gg = self.bgnbd_, self.gamma_gamma_
        n = len(position)
        out: dict[str, Any] = {schema.CUSTOMER_ID: np.asarray(ids)}
        out["p_alive"] = _spread(bg.p_alive(ux, ut_x, uT)[at], bought, n)
        value = gg.expected_value(x, rows["monetary_value"].to_numpy(dtype=np.float64))
        expected = {}
        for h in horizons:
            expected[h] = bg.expected_purchases(h / unit, ux, ut_x, uT)[at]
            out[f"expected_purchases_{h}d"] = _spread(expected[h], bought, n)
        out["expected_avg_order_value"] = _spread(value, bought, n, fill=gg.population_mean)
        for h in horizons:
            out[f"clv_{h}d"] = _spread(expected[h] * value, bought, n)
        for h in horizons:
            discounted = _discounted(bg, ux, ut_x, uT, h, unit, step, rate)[at]
            out[f"discounted_clv_{h}d"] = _spread(discounted * value, bought, n)
        frame = pd.DataFrame(out)
        bad = frame.drop(columns=schema.CUSTOMER_ID).isna().any()
        if bad.any():
            raise DataError(
                f"CLVModel: the facts {list(bad[bad].index)} came out NaN; the fitted parameters "
                f"{bg.params_} / {gg.params_} may be degenerate (q <= 1 gives no mean spend)."
            )
        return frame


def _distinct(*columns: np.ndarray) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    """The distinct rows of ``columns`` and, per row, the index of its distinct row."""
    if len(columns[0]) == 0:
        return columns, np.zeros(0, dtype=np.intp)
    unique, inverse = np.unique(np.column_stack(columns), axis=0, return_inverse=True)
    return tuple(unique[:, i] for i in range(unique.shape[1])), inverse.ravel()


def _spread(values: np.ndarray, bought: np.ndarray, n: int, fill: float = 0.0) -> np.ndarray:
    """Values of the purchasing customers in place, ``fill`` for the others."""
    out = np.full(n, fill, dtype=np.float64)
    out[bought] = values
    return out


def _discounted(bg, x, t_x, T, horizon, unit, step, rate) -> np.ndarray:
    """Expected purchases in ``horizon`` days, each step's discounted from its end."""
    if rate == 0:
        return bg.expected_purchases(horizon / unit, x, t_x, T)
    total = np.zeros_like(x)
    before = np.zeros_like(x)
    ends = list(range(step, horizon, step)) + [horizon]
    for end in ends:
        now = bg.expected_purchases(end / unit, x, t_x, T)
        total += (now - before) / (1.0 + rate) ** (end / _DAYS_PER_YEAR)
        before = now
    return total


def _check_unit(summary: pd.DataFrame, unit: float) -> None:
    given = getattr(summary, "attrs", {}).get("time_unit_days")
    if given is not None and float(given) != float(unit):
        raise ConfigError(
            f"the summary is in units of {given} days but the CLV model expects "
            f"time_unit_days={unit}; compute the summary with time_unit_days={unit}."
        )
