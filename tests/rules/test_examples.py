"""The rules examples of configs/rules, as the README shows them, on a generated shop."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from metaseg.datasets import make_shop
from metaseg.facts import compute_facts
from metaseg.rules import RuleSegmenter

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "configs" / "rules" / "women_30s_repeat_buyers.yaml"
AS_OF = pd.Timestamp("2025-12-31", tz="UTC")


def _rules_text() -> str:
    """The example without its comment header: the part the README shows."""
    lines = EXAMPLE.read_text().splitlines()
    return "\n".join(line for line in lines if not line.startswith("#")) + "\n"


def test_readme_shows_the_example_as_it_is_tested():
    assert _rules_text() in (ROOT / "README.md").read_text()


def test_women_in_their_30s_who_bought_twice_or_more_in_the_last_30_days():
    shop = make_shop(n_customers=3_000, seed=11, as_of=AS_OF)
    facts = compute_facts(shop.events, shop.customers, as_of=AS_OF, windows=(30,))
    labels = RuleSegmenter(rules=EXAMPLE).fit_predict(facts)
    chosen = set(facts.loc[labels == "women_30s_repeat_buyers", "customer_id"])

    # the same question asked of the raw tables in pandas
    events, customers = shop.events, shop.customers
    recent = events[
        (events["event_type"] == "purchase")
        & (events["timestamp"] > AS_OF - pd.Timedelta(days=30))
        & (events["timestamp"] <= AS_OF)
    ]
    purchases = recent.groupby("customer_id").size()
    women_30s = customers[(customers["gender"] == "female") & customers["age"].between(30, 39)][
        "customer_id"
    ]
    expected = {c for c in women_30s if purchases.get(c, 0) >= 2}
    assert chosen == expected
    # a real selection: neither empty nor everyone, and it needs every condition
    assert 10 < len(chosen) < len(women_30s) / 2
    assert (labels == "everyone_else").sum() == len(facts) - len(chosen)
