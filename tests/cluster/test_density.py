"""Tests of metaseg.cluster.DensityClusterer (HDBSCAN, optional UMAP, noise policies)."""

from __future__ import annotations

import math
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from hdbscan.prediction import approximate_predict, membership_vector
from sklearn.exceptions import NotFittedError
from sklearn.metrics import adjusted_rand_score, pairwise_distances

from metaseg.cluster import DensityClusterer
from metaseg.cluster._hdbscan_predict import ApproximatePredictor
from metaseg.exceptions import ClusteringWarning, ConfigError

from .conftest import N_BLOB_ROWS

REDUCERS = (None, "umap")
POLICIES = ("keep", "threshold", "all")
ALL_MODELS = [(r, p) for r in REDUCERS for p in POLICIES]


def _hdbscan_ids(model: DensityClusterer, labels: np.ndarray) -> np.ndarray:
    """Translate canonical labels back to the fitted HDBSCAN's own cluster numbers."""
    inverse = {new: old for old, new in model.mapping_.items()}
    return np.array([inverse.get(int(v), -1) for v in labels])


@pytest.mark.parametrize("reducer", REDUCERS)
def test_default_policy_recovers_planted_blobs(reducer, density_models, noisy_blobs) -> None:
    X, y = noisy_blobs
    model = density_models[(reducer, "threshold")]
    blob = y != -1
    assert model.n_clusters_ == 4
    assert adjusted_rand_score(y[blob], model.labels_[blob]) >= 0.9
    assert model.noise_share_ <= 0.10
    assert model.noise_share_ == pytest.approx(np.mean(model.labels_ == -1))
    assert 0.0 < model.relative_validity_ <= 1.0
    assert model.fallback_reason_ is None
    assert (model.reducer_ is None) == (reducer is None)


@pytest.mark.parametrize(("reducer", "policy"), ALL_MODELS)
def test_predict_on_training_rows_reproduces_labels_exactly(
    reducer, policy, density_models, noisy_blobs
) -> None:
    X, _ = noisy_blobs
    model = density_models[(reducer, policy)]
    assert np.array_equal(model.predict(X), model.labels_)
    # in another order and in small batches too
    order = np.random.RandomState(1).permutation(len(X))
    assert np.array_equal(model.predict(X[order]), model.labels_[order])
    batches = [model.predict(X[i : i + 50]) for i in range(0, len(X), 50)]
    assert np.array_equal(np.concatenate(batches), model.labels_)


@pytest.mark.parametrize("reducer", REDUCERS)
def test_keep_policy_leaves_the_planted_island_as_noise(
    reducer, density_models, noisy_blobs
) -> None:
    X, y = noisy_blobs
    model = density_models[(reducer, "keep")]
    island = np.arange(len(X)) >= len(X) - 18
    assert (model.labels_[island] == -1).all()
    assert (model.probabilities_[model.labels_ == -1] == 0.0).all()
    assert (model.probabilities_[model.labels_ >= 0] > 0.0).all()
    # training-row lookups must also hold for the noise rows
    assert np.array_equal(model.predict(X[island]), model.labels_[island])


def test_threshold_policy_moves_exactly_the_strong_noise_rows(density_models, noisy_blobs) -> None:
    X, _ = noisy_blobs
    keep = density_models[(None, "keep")]
    noise = np.flatnonzero(keep.labels_ == -1)
    vectors = membership_vector(keep.hdbscan_, X[noise])
    strength = vectors.max(axis=1)
    threshold = float(np.median(strength))
    moved = strength >= threshold
    assert 0 < moved.sum() < noise.size
    model = DensityClusterer(noise_policy="threshold", noise_threshold=threshold).fit(X)
    raw = _hdbscan_ids(model, model.labels_)
    raw_keep = _hdbscan_ids(keep, keep.labels_)
    clustered = keep.labels_ != -1
    assert np.array_equal(raw[clustered], raw_keep[clustered])
    assert np.array_equal(raw[noise[moved]], vectors[moved].argmax(axis=1))
    assert (model.labels_[noise[~moved]] == -1).all()
    np.testing.assert_allclose(model.probabilities_[noise[moved]], strength[moved])


def test_all_policy_leaves_no_noise(density_models, noisy_blobs) -> None:
    X, _ = noisy_blobs
    for reducer in REDUCERS:
        model = density_models[(reducer, "all")]
        keep = density_models[(reducer, "keep")]
        assert model.noise_share_ == 0.0
        assert (model.labels_ >= 0).all()
        clustered = keep.labels_ != -1
        assert np.array_equal(
            _hdbscan_ids(model, model.labels_)[clustered],
            _hdbscan_ids(keep, keep.labels_)[clustered],
        )
    far = np.full((3, X.shape[1]), 500.0) * np.array([[1], [-1], [0.5]])
    assert (density_models[(None, "all")].predict(far) >= 0).all()
    assert (density_models[(None, "keep")].predict(far) == -1).all()


def test_threshold_bounds_match_the_other_policies(density_models, noisy_blobs) -> None:
    X, _ = noisy_blobs
    zero = DensityClusterer(noise_policy="threshold", noise_threshold=0.0).fit(X)
    one = DensityClusterer(noise_policy="threshold", noise_threshold=1.0).fit(X)
    assert np.array_equal(zero.labels_, density_models[(None, "all")].labels_)
    assert np.array_equal(one.labels_, density_models[(None, "keep")].labels_)


def test_nearest_exemplar_cluster_matches_a_direct_computation(density_models) -> None:
    model = density_models[(None, "keep")]
    exemplars = model.hdbscan_.prediction_data_.exemplars
    points = np.random.RandomState(5).uniform(-40, 40, size=(25, exemplars[0].shape[1]))
    expected = np.array(
        [np.argmin([pairwise_distances(p[None], e).min() for e in exemplars]) for p in points]
    )
    assert np.array_equal(model._nearest_exemplar_cluster(points), expected)


@pytest.mark.parametrize(("reducer", "policy"), ALL_MODELS)
def test_labels_are_numbered_largest_first(reducer, policy, density_models) -> None:
    model = density_models[(reducer, policy)]
    sizes = np.bincount(model.labels_[model.labels_ >= 0])
    assert sizes.size == model.n_clusters_
    assert sizes.tolist() == sorted(sizes.tolist(), reverse=True)
    assert ((model.probabilities_ >= 0) & (model.probabilities_ <= 1)).all()


@pytest.mark.parametrize("reducer", REDUCERS)
def test_same_seed_same_labels(reducer, density_models, noisy_blobs) -> None:
    X, _ = noisy_blobs
    again = DensityClusterer(reducer=reducer, random_state=0).fit(X)
    first = density_models[(reducer, "threshold")]
    assert np.array_equal(again.labels_, first.labels_)
    assert again.relative_validity_ == first.relative_validity_


def test_umap_new_rows_are_predicted_deterministically(density_models, noisy_blobs) -> None:
    X, y = noisy_blobs
    model = density_models[("umap", "threshold")]
    new = X[:N_BLOB_ROWS:10] + 0.01  # near, but not equal to, training rows
    first = model.predict(new)
    assert np.array_equal(first, model.predict(new))
    assert adjusted_rand_score(y[:N_BLOB_ROWS:10], first) >= 0.9
    # a mixed batch still gives training rows their training labels
    mixed = np.vstack([new, X[:N_BLOB_ROWS]])
    assert np.array_equal(model.predict(mixed)[len(new) :], model.labels_[:N_BLOB_ROWS])


def test_umap_model_survives_pickling(density_models, noisy_blobs) -> None:
    X, _ = noisy_blobs
    model = density_models[("umap", "keep")]
    restored = pickle.loads(pickle.dumps(model))
    assert np.array_equal(restored.predict(X), model.labels_)


def test_min_cluster_size_is_resolved(noisy_blobs) -> None:
    X, _ = noisy_blobs
    n = len(X)
    fraction = DensityClusterer(min_cluster_size=0.1).fit(X)
    assert fraction.min_cluster_size_ == math.ceil(0.1 * n)
    assert fraction.min_samples_ == 10  # capped default, not min_cluster_size_
    assert DensityClusterer(min_cluster_size=6).fit(X).min_samples_ == 6
    counted = DensityClusterer(min_cluster_size=30, min_samples=4).fit(X)
    assert (counted.min_cluster_size_, counted.min_samples_) == (30, 4)
    # prediction needs 2 * min_samples neighbours, so more than half the rows is lowered
    # (such a conservative density estimate leaves no cluster here: a fallback)
    with pytest.warns(ClusteringWarning, match="every row is noise"):
        large = DensityClusterer(min_samples=300, allow_single_cluster=False).fit(X)
    assert large.min_samples_ == n // 2
    assert any("min_samples lowered from 300" in note for note in large.notes_)
    tiny = DensityClusterer(min_cluster_size=0.001).fit(X)
    assert tiny.min_cluster_size_ == 2
    assert any("raised to 2" in note for note in tiny.notes_)


def test_dataframe_keeps_feature_names(noisy_blobs) -> None:
    X, _ = noisy_blobs
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    model = DensityClusterer().fit(frame)
    assert model.feature_names_in_.tolist() == list(frame.columns)
    assert np.array_equal(model.predict(frame), model.labels_)


def _fit_warned(X: np.ndarray, **params: object) -> DensityClusterer:
    with pytest.warns(ClusteringWarning) as caught:
        model = DensityClusterer(random_state=0, **params).fit(X)
    assert [w.filename for w in caught] == [__file__]  # stacklevel points at the caller
    return model


@pytest.mark.parametrize(
    ("data", "params", "reason"),
    [
        (
            "gaussian",
            {"min_cluster_size": 0.1, "allow_single_cluster": False},
            "every row is noise",
        ),
        ("tiny", {"min_cluster_size": 6}, "cannot hold two clusters"),
        ("tiny", {"min_cluster_size": 2, "reducer": "umap"}, "too few for UMAP"),
    ],
)
def test_fallback_to_one_sub_segment(data: str, params: dict, reason: str) -> None:
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 2)) if data == "gaussian" else rng.normal(size=(10, 3))
    model = _fit_warned(X, **params)
    assert reason in model.fallback_reason_
    assert model.labels_.tolist() == [0] * len(X)
    assert model.n_clusters_ == 1
    assert model.noise_share_ == 0.0
    assert math.isnan(model.relative_validity_)
    assert model.predict(X).tolist() == [0] * len(X)
    assert model.predict(X[:3] + 50.0).tolist() == [0, 0, 0]


def test_a_single_population_is_left_whole_without_a_warning() -> None:
    X = np.random.RandomState(0).normal(size=(400, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ClusteringWarning)
        model = DensityClusterer(min_cluster_size=0.1, random_state=0).fit(X)
    assert model.fallback_reason_ is None
    assert model.decision_.startswith("not split: HDBSCAN selected the whole segment")
    assert (model.n_clusters_, model.labels_.tolist()) == (1, [0] * len(X))
    assert model.predict(X[:5] + 10.0).tolist() == [0] * 5


def test_no_fallback_warning_on_clusterable_data(noisy_blobs) -> None:
    X, _ = noisy_blobs
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        DensityClusterer(noise_policy="keep").fit(X)


@pytest.mark.parametrize(
    ("params", "fragments"),
    [
        ({"min_cluster_size": 0}, ["min_cluster_size", "0"]),
        ({"min_cluster_size": -0.2}, ["min_cluster_size", "-0.2"]),
        ({"min_cluster_size": 1.0}, ["min_cluster_size", "1.0", "fraction"]),
        ({"min_cluster_size": 1}, ["min_cluster_size", "1"]),
        ({"min_cluster_size": "5%"}, ["min_cluster_size", "'5%'"]),
        ({"min_samples": 0}, ["min_samples", "0"]),
        ({"reducer": "pca"}, ["reducer", "'pca'", "'umap'"]),
        ({"reducer": "UMAP"}, ["reducer", "Did you mean 'umap'"]),
        ({"noise_policy": "drop"}, ["noise_policy", "'drop'"]),
        ({"noise_threshold": 1.5}, ["noise_threshold", "1.5"]),
        ({"noise_threshold": -0.1}, ["noise_threshold", "-0.1"]),
        ({"cluster_selection_method": "best"}, ["cluster_selection_method", "'best'"]),
        ({"n_components": 0}, ["n_components", "0"]),
        ({"n_neighbors": 1}, ["n_neighbors", "1"]),
        ({"min_dist": -1.0}, ["min_dist", "-1.0"]),
    ],
)
def test_bad_parameters_raise_config_error_in_fit(params: dict, fragments: list[str]) -> None:
    model = DensityClusterer(**params)  # construction never validates
    with pytest.raises(ConfigError) as info:
        model.fit(np.random.RandomState(0).normal(size=(30, 2)))
    for fragment in fragments:
        assert fragment in str(info.value)


def test_predict_before_fit_raises_not_fitted() -> None:
    with pytest.raises(NotFittedError):
        DensityClusterer().predict(np.zeros((2, 2)))


@pytest.mark.parametrize("reducer", REDUCERS)
def test_vectorised_prediction_equals_hdbscan_approximate_predict(
    reducer, density_models, noisy_blobs
) -> None:
    X, _ = noisy_blobs
    model = density_models[(reducer, "keep")]
    Z = model._embed(X)
    rng = np.random.RandomState(2)
    queries = np.vstack(
        [
            Z,
            Z[:50] + 1e-3,  # near-duplicates of training points
            rng.uniform(Z.min(axis=0) - 5, Z.max(axis=0) + 5, size=(200, Z.shape[1])),
        ]
    )
    expected_labels, expected_probabilities = approximate_predict(model.hdbscan_, queries)
    labels, probabilities = ApproximatePredictor(model.hdbscan_).predict(queries)
    assert np.array_equal(labels, expected_labels)
    assert np.array_equal(probabilities, expected_probabilities)
    # chunked prediction (here 5 points per chunk) gives the same result
    chunked = ApproximatePredictor(model.hdbscan_, chunk_neighbours=100).predict(queries)
    assert np.array_equal(chunked[0], expected_labels)
    assert np.array_equal(chunked[1], expected_probabilities)
    # and the keep-policy labels are exactly these, renumbered
    assert np.array_equal(_hdbscan_ids(model, model.labels_), expected_labels[: len(X)])
