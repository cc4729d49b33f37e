"""Draw repeat-purchase summaries from a BG/NBD model (for checks and benchmarks)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from metaseg import schema
from metaseg.clv.bgnbd import BGNBDFit


def simulate_summary(
    fit: BGNBDFit, *, n_customers: int, max_T: float = 39.0, random_state: int | None = 0
) -> pd.DataFrame:
    """Simulate ``frequency``, ``recency`` and ``T`` of customers following ``fit``.

    Each customer gets a purchase rate from the gamma, a dropout probability from the
    beta and an age ``T`` uniform in ``(0, max_T]``; purchases arrive as a Poisson
    process, and after each one the customer drops out with their probability.

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
    return pd.DataFrame(
        {
            schema.CUSTOMER_ID: np.arange(n_customers, dtype=np.int64),
            "frequency": frequency,
            "recency": recency,
            "T": T,
        }
    )
