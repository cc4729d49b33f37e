"""The needs preset: category-mix shares as a composition, not as scaled facts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from metaseg.cluster import AutoKMeans
from metaseg.exceptions import ConfigError
from metaseg.features import SegmentFeaturizer


def _mix_facts(seed: int, n: int = 300) -> pd.DataFrame:
    """Three groups of customers, each buying mostly in its own two of five aisles."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 3, n)
    prefs = np.array([[8, 4, 1, 1, 1], [1, 1, 8, 4, 1], [1, 4, 1, 1, 8]], dtype=float)
    shares = np.vstack([rng.dirichlet(4 * prefs[g]) for g in group])
    shares[shares < 0.03] = 0.0  # aisles a customer never visited
    shares /= shares.sum(axis=1, keepdims=True)
    names = ["mix_garden", "mix_kitchen", "mix_toys", "mix_books", "mix_other"]
    facts = pd.DataFrame(shares, columns=names)
    facts.insert(0, "customer_id", np.arange(n))
    facts.insert(1, "frequency", rng.integers(1, 9, n))
    facts.loc[:4, names] = np.nan  # no basis event: undefined mix
    facts.attrs["group"] = group
    return facts


def test_needs_maps_shares_to_square_roots_unscaled() -> None:
    facts = _mix_facts(0)
    featurizer = SegmentFeaturizer(spec={"features": "needs"})
    X = featurizer.fit_transform(facts)
    names = [c for c in facts.columns if c.startswith("mix_")]
    assert featurizer.composition_features_ == names
    assert featurizer.dropped_features_ == {}  # correlated shares are not dropped one by one
    known = facts[names].notna().all(axis=1)
    np.testing.assert_allclose(X.loc[known, names], np.sqrt(facts.loc[known, names]))
    # Hellinger coordinates lie on the unit sphere; the undefined rows sit at the mean mix
    np.testing.assert_allclose((X[names] ** 2).sum(axis=1), 1.0)
    mean = facts.loc[known, names].mean().to_numpy()
    np.testing.assert_allclose(X.loc[~known, names].to_numpy(), np.sqrt([mean] * 5))


def test_clr_replaces_zeros_and_centres() -> None:
    facts = _mix_facts(1)
    X = SegmentFeaturizer(spec={"features": "needs", "composition": "clr"}).fit_transform(facts)
    assert np.isfinite(X.to_numpy()).all()
    np.testing.assert_allclose(X.sum(axis=1), 0.0, atol=1e-9)


@pytest.mark.parametrize("composition", ["hellinger", "clr"])
@pytest.mark.parametrize("seed", [0, 3])
def test_reordering_categories_changes_nothing(composition: str, seed: int) -> None:
    facts = _mix_facts(seed)
    names = [c for c in facts.columns if c.startswith("mix_")]
    order = np.random.default_rng(seed).permutation(len(names))
    shuffled = facts[["customer_id", "frequency", *[names[i] for i in order]]]
    spec = {"features": "needs", "composition": composition}
    labels = []
    for frame in (facts, shuffled):
        X = SegmentFeaturizer(spec=spec).fit_transform(frame)
        pd.testing.assert_frame_equal(
            X[names], SegmentFeaturizer(spec=spec).fit_transform(facts)[names]
        )
        labels.append(AutoKMeans(random_state=0).fit_predict(X.to_numpy()))
    assert labels[0].tolist() == labels[1].tolist()
    # and the groups are found
    from sklearn.metrics import adjusted_rand_score

    known = facts["mix_other"].notna().to_numpy()
    if composition == "hellinger":
        assert adjusted_rand_score(facts.attrs["group"][known], labels[0][known]) > 0.8


def test_needs_without_category_mix_says_how_to_add_it() -> None:
    facts = _mix_facts(0).drop(columns=[c for c in _mix_facts(0).columns if c.startswith("mix_")])
    with pytest.raises(ConfigError, match="category_mix: {top: 8, basis: spend}"):
        SegmentFeaturizer(spec={"features": "needs"}).fit(facts)


def test_mostly_undefined_mix_is_dropped_as_a_whole() -> None:
    facts = _mix_facts(0)
    names = [c for c in facts.columns if c.startswith("mix_")]
    facts.loc[:200, names] = np.nan
    featurizer = SegmentFeaturizer(spec={"features": ["needs", "frequency"]}).fit(facts)
    assert set(featurizer.dropped_features_) == set(names)
    assert "composition undefined" in featurizer.dropped_features_["mix_toys"]
    assert featurizer.input_features_ == ["frequency"]
