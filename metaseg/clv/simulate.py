"""Draw repeat-purchase summaries from a BG/NBD model (for checks and benchmarks)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from metaseg import schema
from metaseg.clv.bgnbd import BGNBDFit


def simulate_summary(
    fit: BGNBDFit,
    *,
    n_customers: int,
    max_T: float = 39.0,
    days_per_unit: float | None = 7.0,
    random_state: int | None = 0,
) -> pd.DataFrame:
    """Simulate ``frequency``, ``recency`` and ``T`` of customers following ``fit``.

    Each customer gets a purchase rate from the gamma, a dropout probability from the
    beta and an age ``T`` uniform in ``(0, max_T]``; purchases arrive as a Poisson
    process, and after each one the customer drops out with their probability. With
    ``days_per_unit``, times are then floored to whole days (as purchase days are), so
    the summary looks like one computed from dated events; None keeps exact times.

    Examples
    --------
    >>> fit = BGNBDFit(0.243, 4.414, 0.793, 2.426, 0.0, 0, True)
    >>> s = simulate_summary(fit, n_customers=1000, random_state=0)
    >>> bool((s["recency"] <= s["T"]).all()), len(s)
    (True, 1000)
    """
    rng = np.random.default_rng(random_state)
    lam = rng.gamma(fit.r, 1.0 / fit.alpha, n_customers)
    p = rng.beta(fit.a, fit.b, n_customers)
    T = rng.uniform(0.0, max_T, n_customers) + 1e-9 * max_T
    frequency = np.zeros(n_customers, dtype=np.int64)
    recency = np.zeros(n_customers)
    clock = np.zeros(n_customers)
    active = np.arange(n_customers)
    while active.size:
        clock[active] += rng.exponential(1.0, active.size) / np.maximum(lam[active], 1e-300)
        buys = clock[active] <= T[active]
        active = active[buys]
        frequency[active] += 1
        recency[active] = clock[active]
        active = active[rng.uniform(size=active.size) >= p[active]]
    if days_per_unit is not None:
        first = T - np.floor(T * days_per_unit) / days_per_unit  # time of day of the first buy
        recency = np.floor((recency + first) * days_per_unit) / days_per_unit
        T = np.ceil(T * days_per_unit) / days_per_unit
        recency = np.minimum(recency, T)
    return pd.DataFrame(
        {
            schema.CUSTOMER_ID: np.arange(n_customers, dtype=np.int64),
            "frequency": frequency,
            "recency": recency,
            "T": T,
        }
    )
