"""Sub-segments learned once across base segments (``fit_on: shared``)."""

from __future__ import annotations

import pickle
import warnings

import pandas as pd
import pytest

from metaseg.datasets.needs import make_needs_shop
from metaseg.exceptions import ConfigError
from metaseg.facts import compute_facts
from metaseg.model import MetaSegmenter

from .references import within_segment_ari

AS_OF = "2025-12-31"


def _spec(fit_on: str, **extra: object) -> dict:
    return {
        "rules": "rfm",
        "default": {"algorithm": "kmeans", "fit_on": fit_on, "features": {"features": "needs"}},
        "n_bootstrap": 2,
        "min_segment_size": 150,
        "random_state": 3,
        **extra,
    }


def _fit(facts: pd.DataFrame, spec: dict) -> MetaSegmenter:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return MetaSegmenter.from_config(spec).fit(facts)


@pytest.fixture(scope="module")
def needs_shop():
    shop = make_needs_shop(3_000, seed=21, as_of=AS_OF)
    facts = compute_facts(shop.events, as_of=AS_OF, category_mix={"top": 8})
    return shop, facts


@pytest.fixture(scope="module")
def shared_model(needs_shop):
    return _fit(needs_shop[1], _spec("shared"))


@pytest.mark.parametrize("seed", [21, 22, 23])
def test_a_shared_fit_finds_the_personas_in_every_rfm_segment(seed):
    # random shops (aisles, personas and preferences drawn from the seed) under RFM,
    # whose small segments of one- and two-order customers defeat a fit per segment
    shop = make_needs_shop(3_000, seed=seed, as_of=AS_OF)
    facts = compute_facts(shop.events, as_of=AS_OF, category_mix={"top": 8})
    shared = within_segment_ari(_fit(facts, _spec("shared")), shop.truth)
    own = within_segment_ari(_fit(facts, _spec("segment")), shop.truth)
    assert shared >= 0.9
    assert shared >= own - 0.01


def test_every_segment_of_the_pool_uses_one_clusterer(shared_model):
    split = [s for s in shared_model.segments_.values() if s.split]
    assert len(split) >= 5
    first = split[0]
    assert all(s.clusterer is first.clusterer and s.featurizer is first.featurizer for s in split)
    assert all(s.reason.startswith("shared with ") for s in split)
    # one partition, one stability for the whole pool
    stability = shared_model.metrics_.loc[[s.name for s in split], "stability"]
    assert stability.nunique() == 1 and 0.0 <= stability.iloc[0] <= 1.0
    # sub-segments are numbered by size inside each base segment
    for name, part in shared_model.labels_.groupby("base_segment"):
        sizes = part["sub_segment"].value_counts().sort_index()
        assert sizes.index.tolist() == list(range(len(sizes))), name
        assert sizes.is_monotonic_decreasing, name


def test_a_segment_with_its_own_spec_is_not_pooled(needs_shop):
    facts = needs_shop[1]
    own = {"algorithm": "kmeans", "features": {"features": "needs"}}
    model = _fit(facts, _spec("shared", segments={"hibernating": own}))
    alone = model.segments_["hibernating"]
    pooled = [s for n, s in model.segments_.items() if s.split and n != "hibernating"]
    assert alone.split and pooled
    assert alone.clusterer is not pooled[0].clusterer
    assert not alone.reason.startswith("shared with")


def test_predict_pickle_and_the_scoring_copy_reproduce_the_labels(shared_model, needs_shop):
    facts = needs_shop[1]
    want = shared_model.labels_["segment"].to_numpy()
    assert (shared_model.predict(facts)["segment"].to_numpy() == want).all()
    again = pickle.loads(pickle.dumps(shared_model))
    assert (again.predict(facts)["segment"].to_numpy() == want).all()
    lean = shared_model.for_scoring()
    assert (lean.predict(facts)["segment"].to_numpy() == want).all()


def test_same_seed_same_labels_whatever_the_row_order(shared_model, needs_shop):
    facts = needs_shop[1]
    shuffled = facts.sample(frac=1.0, random_state=0)
    again = _fit(shuffled, _spec("shared"))
    got = again.labels_.set_index("customer_id")["segment"]
    want = shared_model.labels_.set_index("customer_id")["segment"]
    pd.testing.assert_series_equal(got.sort_index(), want.sort_index())


def test_an_unknown_fit_on_is_a_clear_error():
    spec = _spec("everyone")
    with pytest.raises(ConfigError, match=r"default\.fit_on: .*'segment' or 'shared'.*everyone"):
        MetaSegmenter.from_config(spec)
