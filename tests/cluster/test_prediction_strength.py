"""Tests of metaseg.cluster.prediction_strength and AutoKMeans(criterion="prediction_strength")."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

from metaseg.cluster import AutoKMeans
from metaseg.cluster.prediction_strength import pair_share_kept, prediction_strength
from metaseg.exceptions import ConfigError

PS = "prediction_strength"


def _planted(seed: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Random well-separated groups: k in 2..5, random sizes, centres and dimension."""
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 6))
    dim = int(rng.integers(2, 7))
    centres = rng.normal(scale=1.0, size=(k, dim))
    centres *= 8.0 / np.sqrt(dim)  # keep the groups apart whatever the dimension
    sizes = rng.integers(150, 600, size=k)
    y = np.repeat(np.arange(k), sizes)
    X = centres[y] + rng.normal(size=(y.size, dim))
    return X, y, k


def test_pairs_kept_is_the_smallest_share_over_test_clusters():
    test = np.array([0, 0, 0, 0, 1, 1, 2])
    # cluster 0 split 3 + 1: 6 of its 12 ordered pairs kept; cluster 1 whole; 2 has one row
    predicted = np.array([4, 4, 4, 5, 6, 6, 9])
    assert pair_share_kept(test, predicted) == pytest.approx(0.5)
    # the names of the predicted clusters do not matter
    assert pair_share_kept(test, (predicted * 7) % 11) == pytest.approx(0.5)
    assert pair_share_kept(test, test[::-1].copy() * 0) == 1.0


@pytest.mark.parametrize("seed", range(6))
def test_random_planted_groups_replicate_at_their_k_and_not_beyond(seed):
    X, y, k = _planted(seed)

    def fit(A, n):
        return KMeans(n, n_init=4, random_state=seed).fit(A)

    strength = prediction_strength(
        X, range(1, k + 3), n_splits=2, random_state=seed, fit_kmeans=fit
    )
    assert strength[1] == 1.0
    assert strength[k] >= 0.9
    assert strength[k + 1] < 0.8 and strength[k + 2] < 0.8

    model = AutoKMeans(criterion=PS, random_state=seed).fit(X)
    assert model.best_k_ == k, model.decision_
    assert adjusted_rand_score(y, model.labels_) >= 0.95
    assert model.decision_.startswith(f"k={k}: prediction strength ")
    scores = model.scores_
    assert scores.loc[2:, PS].notna().all() and np.isnan(scores.loc[1, PS])
    assert scores.index[scores["chosen"]].tolist() == [k]


def test_one_population_is_left_whole_or_cut_at_its_strongest_k():
    X = np.random.default_rng(3).normal(size=(1500, 3))
    whole = AutoKMeans(criterion=PS, random_state=0).fit(X)
    assert whole.best_k_ == 1 and (whole.labels_ == 0).all()
    assert whole.decision_.startswith("not split: no k in k=2..8 reaches prediction strength 0.8")

    forced = AutoKMeans(k_min=2, criterion=PS, random_state=0).fit(X)
    strongest = forced.scores_[PS].idxmax()
    assert forced.best_k_ == strongest
    assert "the strongest is kept" in forced.decision_


def test_same_seed_same_labels():
    X, _, _ = _planted(11)
    first = AutoKMeans(criterion=PS, random_state=5).fit(X)
    again = AutoKMeans(criterion=PS, random_state=5).fit(X)
    assert (first.labels_ == again.labels_).all()
    assert first.scores_[PS].equals(again.scores_[PS])


@pytest.mark.parametrize(
    ("name", "value"),
    [("min_prediction_strength", 0.0), ("min_prediction_strength", 1.5), ("n_splits", 0)],
)
def test_bad_settings_name_the_parameter_and_value(name, value):
    X, _, _ = _planted(0)
    with pytest.raises(ConfigError, match=rf"{name}.*{value}"):
        AutoKMeans(criterion=PS, **{name: value}).fit(X)
