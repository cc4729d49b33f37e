"""Shops whose personas differ only in what they buy: a test bed for needs-based segments.

:func:`make_needs_shop` draws, from one seed, a shop with random parameters: the number
of categories (6-12), of personas (2-4) and each persona's preferred categories (1-3,
disjoint between personas, with a random weight). Everything else (how often, how much,
how recently a customer buys) is drawn from one distribution for everybody, so the
behaviour facts carry no trace of the persona: only the category mix does. Rule
segments (RFM, lifecycle) cut customers by recency, frequency and value, so every
persona appears in every base segment.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from metaseg import schema
from metaseg._params import parse_as_of


@dataclass(frozen=True)
class NeedsShop:
    """Events of a generated shop and the truth behind them.

    Attributes
    ----------
    events : DataFrame
        Standard purchase and view events with a ``category``.
    truth : DataFrame
        ``customer_id`` and ``persona`` (int).
    categories : list of str
        The shop's categories.
    preferences : ndarray of shape (n_personas, n_categories)
        Each persona's probability of buying in each category.
    """

    events: pd.DataFrame
    truth: pd.DataFrame
    categories: list[str]
    preferences: np.ndarray


def make_needs_shop(
    n_customers: int = 3_000, *, seed: int = 0, as_of: str = "2025-12-31"
) -> NeedsShop:
    """Generate a shop whose personas differ only in category preference.

    Parameters
    ----------
    n_customers : int
        Customers, split evenly at random between the personas.
    seed : int
        Seed of every random draw (the shop's parameters included).
    as_of : date-like
        The last moment of the history (two years long).

    Returns
    -------
    NeedsShop

    Examples
    --------
    >>> shop = make_needs_shop(200, seed=1)
    >>> sorted(shop.events["event_type"].unique())
    ['purchase', 'view']
    >>> shop.truth["persona"].nunique() == shop.preferences.shape[0]
    True
    """
    if n_customers < 20:
        raise ValueError(f"n_customers must be at least 20, got {n_customers!r}.")
    rng = np.random.default_rng(seed)
    end = parse_as_of(as_of)
    n_categories = int(rng.integers(6, 13))
    n_personas = int(rng.integers(2, 5))
    categories = [f"aisle_{i:02d}" for i in range(n_categories)]
    order = rng.permutation(n_categories)
    preferences = np.full((n_personas, n_categories), 0.0)
    start = 0
    for p in range(n_personas):
        k = int(rng.integers(1, 4))
        own = order[start : start + k] if start + k <= n_categories else order[-k:]
        start += k
        # most purchases in the persona's own aisles, a little everywhere
        weights = rng.dirichlet(np.full(k, 2.0)) * rng.uniform(0.75, 0.9)
        preferences[p] = (1.0 - weights.sum()) / n_categories
        preferences[p, own] += weights
    persona = rng.integers(0, n_personas, n_customers)

    # behaviour: one distribution for every persona
    n_orders = 1 + rng.negative_binomial(1.2, 0.25, n_customers)
    last_days = rng.exponential(120.0, n_customers).clip(0, 700)
    span = rng.uniform(0, 730, n_customers)
    basket = rng.lognormal(3.3, 0.6, n_customers)
    rows = []
    for c in range(n_customers):
        k = int(n_orders[c])
        days = last_days[c] + np.concatenate([[0.0], rng.uniform(0, span[c], k - 1)])
        days = days.clip(0, 729)
        lines = rng.integers(1, 4, k)
        for order_no, (d, n_lines) in enumerate(zip(days, lines, strict=True)):
            cats = rng.choice(n_categories, n_lines, p=preferences[persona[c]])
            amounts = basket[c] * rng.lognormal(0.0, 0.3, n_lines) / n_lines
            for cat, amount in zip(cats, amounts, strict=True):
                rows.append((c, d, "purchase", amount, f"o{c}_{order_no}", cat))
            view_cat = rng.choice(n_categories, p=preferences[persona[c]])
            rows.append((c, d + 0.01, "view", np.nan, None, view_cat))
    frame = pd.DataFrame(rows, columns=["cid", "days", "type", "amount", "order", "cat"])
    events = pd.DataFrame(
        {
            schema.CUSTOMER_ID: frame["cid"].astype("int64") + 1,
            schema.TIMESTAMP: end - pd.to_timedelta(frame["days"], unit="D").dt.round("s"),
            schema.EVENT_TYPE: frame["type"].astype("str"),
            schema.AMOUNT: frame["amount"].astype("float64"),
            schema.ORDER_ID: frame["order"].astype("object"),
            schema.CATEGORY: np.asarray(categories, dtype=object)[frame["cat"].to_numpy()],
        }
    )
    truth = pd.DataFrame(
        {schema.CUSTOMER_ID: np.arange(1, n_customers + 1, dtype="int64"), "persona": persona}
    )
    return NeedsShop(events, truth, categories, preferences)
