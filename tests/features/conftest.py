"""Generated facts tables for the feature tests (one row per customer, numpy-made)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest


def build_facts(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """Return a facts-shaped frame with the standard facts and a few attributes."""
    rng = np.random.default_rng(seed)
    frequency = rng.poisson(3.0, n).astype("int64")
    avg_order_value = np.where(frequency > 0, rng.lognormal(3.5, 0.6, n), np.nan)
    recency = np.where(frequency > 0, rng.exponential(60.0, n), np.nan)
    facts = pd.DataFrame(
        {
            "customer_id": np.arange(1000, 1000 + n),
            "recency_days": recency,
            "days_since_last_event": rng.exponential(30.0, n),
            "frequency": frequency,
            "monetary": np.nan_to_num(avg_order_value) * frequency,
            "avg_order_value": avg_order_value,
            "n_categories": rng.integers(1, 6, n),
            "top_category_share": rng.uniform(0.2, 1.0, n),
            "n_views": rng.poisson(12.0, n),
            "n_add_to_cart": rng.poisson(2.0, n),
            "views_30d": rng.poisson(4.0, n),
            "add_to_cart_30d": rng.poisson(1.0, n),
            "carts_since_last_purchase": rng.poisson(0.7, n),
            "days_since_last_view": rng.exponential(20.0, n),
            "days_since_last_cart": rng.exponential(40.0, n),
            "refund_rate": rng.uniform(0.0, 0.3, n),
            "age": rng.integers(18, 80, n).astype("float64"),
            "gender": rng.choice(["F", "M"], n),
            "region": rng.choice(["north", "south", "east", "west"], n),
            "channel": pd.Categorical(rng.choice(["web", "app"], n)),
            "first_seen": pd.Timestamp("2024-01-01", tz="UTC")
            + pd.to_timedelta(rng.integers(0, 300, n), unit="D"),
        }
    )
    return facts


@pytest.fixture
def facts() -> pd.DataFrame:
    """A 400-customer facts table."""
    return build_facts()


@pytest.fixture
def make_facts() -> Callable[..., pd.DataFrame]:
    """The facts builder, for tests that need another size or seed."""
    return build_facts
