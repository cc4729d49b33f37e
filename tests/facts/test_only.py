"""compute_facts(only=...): the facts a fitted model reads, equal to those of a full run."""

from __future__ import annotations

import pandas as pd
import pytest

from metaseg.exceptions import ConfigError
from metaseg.facts import compute_facts

from .conftest import AS_OF, random_customers, random_events

CUSTOM = {
    "big_orders": {
        "aggregate": "count",
        "event_type": "purchase",
        "where": {"column": "amount", "op": ">=", "value": 30},
    }
}


def test_only_the_named_facts_come_back_equal_to_a_full_run() -> None:
    events = random_events(3)
    customers = random_customers(events, 3)
    options = {"as_of": AS_OF, "custom": CUSTOM, "category_mix": {"top": 2}}
    full = compute_facts(events, customers, **options)
    wanted = ["recency_days", "purchases_30d", "big_orders", "not_a_fact", "mix_other"]
    some = compute_facts(events, customers, only=wanted, **options)
    mix = full.attrs["category_mix"]["columns"]
    attributes = [c for c in customers.columns if c != "customer_id"]
    expected = ["customer_id", "first_seen", "recency_days", "purchases_30d", "big_orders"]
    assert list(some.columns) == expected + mix + attributes
    pd.testing.assert_frame_equal(some, full[list(some.columns)])
    assert some.attrs["fact_kinds"] == {"big_orders": "count", **dict.fromkeys(mix, "ratio")}


def test_a_model_scores_the_same_on_the_facts_it_reads(shop_model) -> None:
    model, events = shop_model
    full = compute_facts(events, as_of=AS_OF)
    some = compute_facts(events, as_of=AS_OF, only=model.feature_columns_)
    assert len(some.columns) < len(full.columns)
    columns = ["customer_id", "base_segment", "sub_segment", "segment", "segment_name"]
    pd.testing.assert_frame_equal(model.predict(some)[columns], model.predict(full)[columns])


def test_only_as_text_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"only must be a list of fact names.*\['frequency'\]"):
        compute_facts(random_events(0), as_of=AS_OF, only="frequency")


@pytest.fixture(scope="module")
def shop_model():
    import warnings

    from metaseg.datasets import make_shop
    from metaseg.model import MetaSegmenter

    shop = make_shop(1_500, seed=2, as_of=AS_OF)
    facts = compute_facts(shop.events, shop.customers, as_of=AS_OF)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MetaSegmenter(n_bootstrap=0, random_state=0).fit(facts)
    return model, shop.events
