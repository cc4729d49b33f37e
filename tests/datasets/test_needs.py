"""Needs shops: personas differ only in category mix; `needs` finds them, `behaviour` cannot."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from metaseg.datasets.needs import make_needs_shop
from metaseg.facts import compute_facts
from metaseg.model import MetaSegmenter

from .references import within_segment_ari

AS_OF = "2025-12-31"
#: Lifecycle base segments, each split by k-means on its category mix.
NEEDS_IN_LIFECYCLE = {
    "rules": "lifecycle",
    "default": {"algorithm": "kmeans", "features": {"features": "needs"}},
    "n_bootstrap": 0,
    "min_segment_size": 100,
}


def test_shop_parameters_vary_with_the_seed_and_behaviour_does_not_tell_personas() -> None:
    shops = [make_needs_shop(300, seed=s, as_of=AS_OF) for s in range(4)]
    shapes = {shop.preferences.shape for shop in shops}
    assert len(shapes) > 1  # random numbers of personas and aisles
    for shop in shops:
        np.testing.assert_allclose(shop.preferences.sum(axis=1), 1.0)
    shop = make_needs_shop(1_500, seed=2, as_of=AS_OF)
    facts = compute_facts(shop.events, as_of=AS_OF).merge(shop.truth, on="customer_id")
    by_persona = facts.groupby("persona")["frequency"].mean()
    assert by_persona.max() / by_persona.min() < 1.3  # same behaviour for every persona


@pytest.mark.parametrize("seed", [5])
def test_needs_recovers_personas_inside_lifecycle_and_behaviour_does_not(seed: int) -> None:
    shop = make_needs_shop(2_000, seed=seed, as_of=AS_OF)
    facts = compute_facts(shop.events, as_of=AS_OF, category_mix={"top": 8})
    results = {}
    for features in ("needs", "behaviour"):
        spec = {
            "rules": "lifecycle",
            "default": {"algorithm": "kmeans", "features": {"features": features}},
            "n_bootstrap": 0,
            "min_segment_size": 150,
        }
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            results[features] = within_segment_ari(
                MetaSegmenter.from_config(spec).fit(facts), shop.truth
            )
    assert results["needs"] > 0.75
    assert results["behaviour"] < 0.1


def test_scoring_events_keeps_the_categories_of_the_fit() -> None:
    shop = make_needs_shop(600, seed=1, as_of=AS_OF)
    facts = compute_facts(shop.events, as_of=AS_OF, category_mix={"top": 3})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MetaSegmenter.from_config(NEEDS_IN_LIFECYCLE).fit(facts)
        assert model.fact_category_mix_ == facts.attrs["category_mix"]
        # other events, whose own top 3 differ: the model still gets its columns
        other = make_needs_shop(600, seed=7, as_of=AS_OF).events
        labels = model.predict(other, as_of=AS_OF)
    assert len(labels) == other["customer_id"].nunique()


def test_jobs_compute_the_facts_a_fitted_model_was_fitted_on() -> None:
    """Scoring and drift both compute facts through build_facts(model=...)."""
    from metaseg.config import load_config
    from metaseg.jobs import Inputs, build_facts

    mix = {"top": 3, "uncategorised": "exclude"}
    config = load_config({"name": "needs", "facts": {"category_mix": mix}})
    shop = make_needs_shop(600, seed=1, as_of=AS_OF)
    facts = build_facts(Inputs(shop.events, None), config, as_of=AS_OF)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MetaSegmenter.from_config(NEEDS_IN_LIFECYCLE).fit(facts)
    other = Inputs(make_needs_shop(600, seed=7, as_of=AS_OF).events, None)
    fitted_columns = [c for c in facts.columns if c.startswith("mix_")]
    own = build_facts(other, config, as_of=AS_OF)
    assert [c for c in own.columns if c.startswith("mix_")] != fitted_columns
    kept = build_facts(other, config, as_of=AS_OF, model=model)
    assert [c for c in kept.columns if c.startswith("mix_")] == fitted_columns
    assert kept.attrs["category_mix"]["uncategorised"] == "exclude"
