"""predict_proba and transform of the clusterers: k-means' calibrated softmax, HDBSCAN's vectors."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from metaseg.cluster import AutoKMeans, DensityClusterer


@pytest.fixture(scope="module")
def blobs():
    X, _ = make_blobs(n_samples=600, centers=3, cluster_std=1.0, random_state=0)
    return X


def test_kmeans_softmax_is_calibrated_on_the_training_rows(blobs):
    model = AutoKMeans(n_clusters=3, random_state=0).fit(blobs)
    d2 = model.transform(blobs) ** 2
    own = d2[np.arange(len(blobs)), model.labels_]
    # the temperature is twice the pooled within-cluster variance per feature
    assert model.temperature_ == pytest.approx(2 * own.mean() / blobs.shape[1])
    proba = model.predict_proba(blobs)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert (proba.argmax(axis=1) == model.predict(blobs)).all()
    # a point halfway between two centres is shared evenly between them
    middle = model.cluster_centers_[:2].mean(axis=0, keepdims=True)
    shared = model.predict_proba(middle)[0]
    assert shared[0] == pytest.approx(shared[1], abs=1e-12)
    assert shared[:2].sum() > 0.99
    # and a far-off point keeps probabilities in [0, 1] without overflow
    assert np.isfinite(model.predict_proba(middle + 1e6)).all()


def test_kmeans_transform_is_the_distance_to_each_centre(blobs):
    model = AutoKMeans(n_clusters=3, random_state=0).fit(blobs)
    expected = np.linalg.norm(blobs[:, None, :] - model.cluster_centers_[None], axis=2)
    assert np.allclose(model.transform(blobs), expected)
    assert model.get_feature_names_out().tolist() == ["autokmeans0", "autokmeans1", "autokmeans2"]


def test_kmeans_not_split_has_one_column_of_ones():
    X = np.random.default_rng(0).normal(size=(300, 2))
    model = AutoKMeans(random_state=0).fit(X)
    assert model.n_clusters_ == 1
    assert (model.predict_proba(X) == 1.0).all()


def test_hdbscan_membership_vectors_in_canonical_order(blobs):
    model = DensityClusterer(min_cluster_size=0.1, noise_policy="keep").fit(blobs)
    proba = model.predict_proba(blobs)
    assert proba.shape == (len(blobs), model.n_clusters_)
    assert np.allclose(proba.sum(axis=1), 1.0)
    clustered = model.labels_ >= 0
    agree = np.mean(proba.argmax(axis=1)[clustered] == model.labels_[clustered])
    assert agree > 0.95
    # a row alone gets the vector it gets in a batch
    assert np.allclose(model.predict_proba(blobs[:1]), proba[:1])
