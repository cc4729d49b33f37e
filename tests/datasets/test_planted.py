"""Tests of metaseg/datasets/planted.py: shops whose planted structure is drawn at random."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from metaseg.datasets.planted import (
    MIN_PERSONA_SHARE,
    MIN_TRAITS_APART,
    PLANTED_SITUATIONS,
    draw_scenario,
    make_planted_shop,
)
from metaseg.facts import compute_facts
from metaseg.rules import RuleSegmenter, preset_path

SEEDS = range(12)


@pytest.fixture(scope="module")
def shop():
    return make_planted_shop(4, n_customers=4_000)


@pytest.fixture(scope="module")
def facts(shop):
    return compute_facts(shop.events, shop.customers, as_of=shop.scenario.as_of)


@pytest.mark.parametrize("seed", SEEDS)
def test_scenarios_draw_one_to_five_distinct_personas_per_situation(seed: int) -> None:
    scenario = draw_scenario(seed)
    assert set(scenario.n_personas()) == set(PLANTED_SITUATIONS)
    assert all(1 <= k <= 5 for k in scenario.n_personas().values())
    assert sum(scenario.situation_shares.values()) == pytest.approx(1.0)
    for situation in PLANTED_SITUATIONS:
        personas = [p for p in scenario.personas if p.situation == situation]
        assert sum(p.share for p in personas) == pytest.approx(1.0)
        assert min(p.share for p in personas) >= MIN_PERSONA_SHARE - 1e-12
        # any two personas differ by exp(separation) or more on at least two traits
        for i, a in enumerate(personas):
            for b in personas[i + 1 :]:
                apart = [
                    t
                    for t in a.traits
                    if abs(np.log(a.traits[t] / b.traits[t])) >= scenario.separation - 1e-9
                ]
                assert len(apart) >= MIN_TRAITS_APART


def test_the_structure_is_random_across_seeds() -> None:
    counts = [tuple(draw_scenario(seed).n_personas().values()) for seed in range(30)]
    assert len(set(counts)) >= 25
    single = sum(k == 1 for c in counts for k in c)
    assert single >= 10  # single-population situations are common


def test_same_seed_same_shop() -> None:
    a, b = make_planted_shop(9, 1_000), make_planted_shop(9, 1_000)
    pd.testing.assert_frame_equal(a.events, b.events)
    pd.testing.assert_frame_equal(a.truth, b.truth)
    assert not make_planted_shop(10, 1_000).events.equals(a.events)


def test_tables_follow_the_standard_schema(shop) -> None:
    events = shop.events
    assert list(events.columns[:2]) == ["customer_id", "timestamp"]
    assert str(events["timestamp"].dt.tz) == "UTC"
    assert (events["timestamp"] < shop.scenario.as_of).all()
    purchases = events["event_type"] == "purchase"
    assert events.loc[purchases, "amount"].gt(0).all()
    assert events.loc[~purchases, "amount"].isna().all()
    assert events.loc[purchases, "order_id"].is_unique
    assert len(shop.truth) == len(shop.customers) == 4_000
    first = events.groupby("customer_id")["timestamp"].min()
    assert (shop.customers.set_index("customer_id")["signup_at"] < first).all()


def test_lifecycle_rules_recover_every_planted_situation(shop, facts) -> None:
    as_of = shop.scenario.as_of
    rules = RuleSegmenter(rules=preset_path("lifecycle")).fit(facts, as_of=as_of)
    base = rules.predict(facts, as_of=as_of).astype(str).to_numpy()
    truth = shop.truth.set_index("customer_id").loc[facts["customer_id"], "situation"]
    assert (base == truth.to_numpy()).all()


def test_planted_trait_levels_show_in_the_facts(shop, facts) -> None:
    table = facts.merge(shop.truth, on="customer_id")
    levels = {p.code: p.traits for p in shop.scenario.personas}
    for situation, part in table.groupby("situation"):
        medians = part.groupby("persona")["n_views"].median()
        if len(medians) < 3:
            continue
        planted = pd.Series({code: levels[code]["views"] for code in medians.index})
        assert np.log1p(medians).corr(np.log1p(planted)) > 0.9, situation
