"""AutoGaussianMixture: k from 1 by ICL, canonical numbering, soft membership, clear errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from metaseg.cluster import AutoGaussianMixture, AutoKMeans
from metaseg.exceptions import ClusteringWarning, ConfigError


def _unequal_groups(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A wide majority, a tight minority of 6 % and a mid-sized correlated group."""
    rng = np.random.default_rng(seed)
    wide = rng.normal([0.0, 0.0], [1.6, 1.2], size=(2_350, 2))
    tight = rng.normal([3.2, 3.0], 0.25, size=(170, 2))
    correlated = rng.multivariate_normal([-3.5, 3.5], [[0.6, 0.5], [0.5, 0.6]], size=(480,))
    X = np.vstack([wide, tight, correlated])
    y = np.repeat([0, 1, 2], [2_350, 170, 480])
    return X, y


def test_groups_of_unequal_size_and_spread_are_found():
    X, y = _unequal_groups()
    model = AutoGaussianMixture(random_state=0).fit(X)
    assert model.best_k_ == 3
    assert adjusted_rand_score(y, model.labels_) > 0.9
    assert model.decision_.startswith("k=3: ICL ")
    # k-means, given the right k, cuts the wide majority instead of isolating the groups
    kmeans = AutoKMeans(k_min=3, k_max=3, random_state=0).fit(X)
    assert adjusted_rand_score(y, kmeans.labels_) < adjusted_rand_score(y, model.labels_) - 0.1


@pytest.mark.parametrize(
    "population",
    [
        lambda rng: rng.normal(size=(3_000, 4)),
        lambda rng: np.log1p(rng.gamma(1.5, 3.0, size=(3_000, 3))),
        lambda rng: rng.multivariate_normal([0, 0], [[1.0, 0.9], [0.9, 1.0]], size=3_000),
    ],
    ids=["normal", "skewed", "correlated"],
)
def test_one_population_stays_whole_and_says_why(population):
    X = population(np.random.default_rng(1))
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    model = AutoGaussianMixture(random_state=0).fit(X)
    assert model.best_k_ == 1 and model.n_clusters_ == 1
    assert model.decision_.startswith("not split: ICL(1) = ")
    assert (model.labels_ == 0).all()
    assert model.mixture_ is None
    np.testing.assert_allclose(model.predict_proba(X[:5]), 1.0)


def test_scores_record_every_k_and_icl_is_bic_plus_twice_the_entropy():
    X, _ = _unequal_groups()
    model = AutoGaussianMixture(k_max=5, random_state=0).fit(X)
    scores = model.scores_
    assert scores.index.tolist() == [1, 2, 3, 4, 5]
    np.testing.assert_allclose(scores["icl"], scores["bic"] + 2 * scores["entropy"])
    assert scores.loc[1, "entropy"] == pytest.approx(0.0, abs=1e-6)
    assert scores["chosen"].sum() == 1 and scores.loc[model.best_k_, "chosen"]
    assert model.best_k_ == scores["icl"].idxmin()
    # the likelihood can only improve with more components (up to EM's local optima)
    assert scores.loc[5, "log_likelihood"] > scores.loc[1, "log_likelihood"]


def test_bic_follows_the_density_and_splits_a_skewed_cloud_icl_keeps_whole():
    rng = np.random.default_rng(3)
    X = rng.gamma(1.0, 1.0, size=(4_000, 2))
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    icl = AutoGaussianMixture(random_state=0).fit(X)
    bic = AutoGaussianMixture(criterion="bic", reg_covar=1e-6, random_state=0).fit(X)
    assert icl.best_k_ == 1
    assert bic.best_k_ >= 2
    assert "ICL picks k=" in bic.decision_


def test_components_are_numbered_largest_first_and_predict_reproduces_labels():
    X, _ = _unequal_groups()
    model = AutoGaussianMixture(random_state=0).fit(X)
    sizes = np.bincount(model.labels_)
    assert (np.diff(sizes) <= 0).all()
    np.testing.assert_array_equal(model.predict(X), model.labels_)
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), model.best_k_)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(proba.argmax(axis=1), model.labels_)
    np.testing.assert_allclose(model.cluster_centers_, model.mixture_.means_)
    assert np.argmax(model.mixture_.weights_) == 0


def test_a_large_input_is_compared_on_a_sample_and_refitted_on_every_row():
    X, y = _unequal_groups()
    sampled = AutoGaussianMixture(sample_size=2_000, random_state=0).fit(X)
    assert sampled.sample_size_ == 2_000
    assert sampled.refit_with_ == "GaussianMixture"
    assert sampled.labels_.shape == (len(X),)
    assert adjusted_rand_score(y, sampled.labels_) > 0.9
    np.testing.assert_array_equal(sampled.predict(X), sampled.labels_)
    whole = AutoGaussianMixture(random_state=0).fit(X)
    assert whole.refit_with_ == "sample"


def test_same_seed_same_labels_and_a_dataframe_keeps_its_feature_names():
    import pandas as pd

    X, _ = _unequal_groups()
    frame = pd.DataFrame(X, columns=["frequency", "avg_order_value"])
    first = AutoGaussianMixture(random_state=7).fit(frame)
    second = AutoGaussianMixture(random_state=7).fit(frame)
    np.testing.assert_array_equal(first.labels_, second.labels_)
    assert list(first.feature_names_in_) == ["frequency", "avg_order_value"]


def test_identical_rows_fall_back_to_one_cluster_with_a_warning():
    X = np.ones((50, 3))
    with pytest.warns(ClusteringWarning, match="only 1 distinct rows"):
        model = AutoGaussianMixture(random_state=0).fit(X)
    assert model.best_k_ == 1 and model.fallback_reason_ is not None
    assert model.scores_.empty
    assert model.decision_.startswith("not split: only 1 distinct rows")


def test_few_distinct_rows_clip_k_max_and_say_so():
    X = np.repeat(np.array([[0.0, 0.0], [5.0, 5.0], [0.0, 5.0], [5.0, 0.0]]), 30, axis=0)
    model = AutoGaussianMixture(random_state=0).fit(X)
    assert model.k_max_ == 3
    assert any("k_max clipped from 8 to 3" in note for note in model.notes_)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"criterion": "silhouette"}, r"unknown criterion 'silhouette'.*'icl', 'bic'"),
        ({"covariance_type": "tied"}, r"covariance_type 'tied'"),
        ({"k_min": 4, "k_max": 3}, r"k_max must be >= k_min, got k_max=3 and k_min=4"),
        ({"k_min": 0}, r"k_min"),
        ({"reg_covar": -0.1}, r"reg_covar.*-0.1"),
        ({"n_init": 0}, r"n_init"),
        ({"sample_size": 5}, r"sample_size.*k_max=8"),
    ],
)
def test_bad_parameters_are_refused_with_name_and_value(params, message):
    with pytest.raises(ConfigError, match=message):
        AutoGaussianMixture(**params).fit(np.random.default_rng(0).normal(size=(100, 2)))


@pytest.mark.parametrize("estimator", [AutoGaussianMixture, AutoKMeans])
def test_n_clusters_fixes_k_and_cannot_be_mixed_with_a_range(estimator):
    X, _ = _unequal_groups()
    fixed = estimator(n_clusters=4, random_state=0).fit(X)
    assert fixed.best_k_ == 4
    assert fixed.scores_.index.tolist() == [4]
    whole = estimator(n_clusters=1, random_state=0).fit(X)
    assert whole.best_k_ == 1 and (whole.labels_ == 0).all()
    with pytest.raises(ConfigError, match=r"either n_clusters .* got n_clusters=3 with k_min=2"):
        estimator(n_clusters=3, k_min=2, k_max=5).fit(X)
    with pytest.raises(ConfigError, match=r"n_clusters must be an integer >= 1, got 'three'"):
        estimator(n_clusters="three").fit(X)


@pytest.mark.parametrize("estimator", [AutoGaussianMixture, AutoKMeans])
def test_a_choice_at_the_top_of_the_range_says_more_groups_may_exist(estimator):
    from sklearn.datasets import make_blobs

    X, _ = make_blobs(n_samples=1_200, centers=5, cluster_std=0.4, random_state=1)
    with pytest.warns(ClusteringWarning, match=r"chosen k=3 is the largest tried \(k_max=3\)"):
        capped = estimator(k_max=3, random_state=0).fit(X)
    assert any("raise k_max" in note for note in capped.notes_)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ClusteringWarning)
        assert estimator(random_state=0).fit(X).best_k_ == 5  # 5 of 1..8: nothing to say
        estimator(n_clusters=3, random_state=0).fit(X)  # a fixed k is not a range
