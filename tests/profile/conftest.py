"""Facts with planted sub-segment differences, and fitted models, for the profile tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

CONFIGS = Path(__file__).resolve().parents[2] / "configs"

#: (base segment, sub-segment, customers)
LAYOUT = [
    ("dormant", 0, 300),
    ("dormant", 1, 200),
    ("dormant", 2, 80),
    ("dormant", -1, 20),
    ("active", 0, 250),
    ("active", 1, 150),
]


@pytest.fixture
def planted() -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """Return (facts, base segments, sub-segments) with known differences.

    * dormant/1: four times bigger baskets and a single category;
    * dormant/2: frequent buyers;
    * active/1: heavy browsers who bought recently;
    everything else is drawn from the same distributions.
    """
    rng = np.random.default_rng(7)
    base = np.concatenate([[b] * n for b, _, n in LAYOUT])
    sub = np.concatenate([[s] * n for _, s, n in LAYOUT])
    n = len(base)
    facts = pd.DataFrame(
        {
            "customer_id": np.arange(n) + 500,
            "recency_days": rng.uniform(100, 300, n),
            "frequency": rng.poisson(2.0, n).astype("float64"),
            "avg_order_value": rng.normal(30.0, 5.0, n),
            "top_category_share": rng.uniform(0.3, 0.7, n),
            "n_views": rng.poisson(10.0, n).astype("float64"),
            "age": rng.normal(40.0, 8.0, n),
        }
    )
    big = (base == "dormant") & (sub == 1)
    facts.loc[big, "avg_order_value"] *= 4.0
    facts.loc[big, "top_category_share"] = rng.uniform(0.9, 1.0, big.sum())
    facts.loc[(base == "dormant") & (sub == 2), "frequency"] += 12.0
    browsers = (base == "active") & (sub == 1)
    facts.loc[browsers, "n_views"] += 60.0
    facts.loc[browsers, "recency_days"] = rng.uniform(1, 10, browsers.sum())
    order = rng.permutation(n)  # customers in no particular order
    facts = facts.iloc[order].set_index("customer_id", drop=False)
    base_labels = pd.Series(base[order], index=facts.index, name="base_segment")
    sub_labels = pd.Series(sub[order], index=facts.index, name="sub_segment")
    return facts, base_labels, sub_labels


# The fits run k-means on one thread: on a small, busy machine OpenMP threads waiting on
# each other make a one-second fit take ten; the labels are the same.


@pytest.fixture(scope="session")
def shop_fit():
    """(facts, model): the default model on a 5,000-customer synthetic shop, no bootstrap."""
    from metaseg.datasets import make_shop
    from metaseg.facts import compute_facts
    from metaseg.model import MetaSegmenter

    customers, events, _ = make_shop(n_customers=5_000, seed=3)
    facts = compute_facts(events, customers)
    with threadpool_limits(1):
        return facts, MetaSegmenter(n_bootstrap=0, random_state=0).fit(facts)


@pytest.fixture(scope="session")
def online_retail_fit(shared_data):
    """(facts, model): configs/online_retail.yaml on UCI Online Retail II, no bootstrap.

    Loaded like notebooks/02_online_retail.ipynb; skipped when ../shared/data is absent.
    """
    import warnings

    from metaseg.config import load_config
    from metaseg.datasets import load_online_retail
    from metaseg.exceptions import DataQualityWarning
    from metaseg.facts import compute_facts
    from metaseg.model import MetaSegmenter

    path = shared_data / "online_retail_ii" / "online_retail_ii.parquet"
    assert path.is_file(), f"{shared_data} exists but holds no Online Retail II at {path}"
    config = load_config(CONFIGS / "online_retail.yaml")
    source = config.data.online_retail
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        events, customers, _ = load_online_retail(
            path, level=source.level, cancellations=source.cancellations, as_of=config.as_of
        )
    facts = compute_facts(events, customers, as_of=config.as_of, windows=config.facts.windows)
    spec = config.segmentation.model_dump() | {"n_bootstrap": 0}  # names need no stability
    with threadpool_limits(1):
        return facts, MetaSegmenter.from_config(spec).fit(facts)
