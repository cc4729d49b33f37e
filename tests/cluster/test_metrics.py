"""Tests of metaseg.cluster.metrics.cluster_metrics."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

from metaseg.cluster import cluster_metrics
from metaseg.cluster.metrics import sample_rows
from metaseg.exceptions import ConfigError, DataError


@pytest.fixture(scope="module")
def two_groups() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(0)
    X = np.vstack(
        [rng.normal(0, 1, (60, 3)), rng.normal(8, 1, (40, 3)), rng.uniform(-20, 20, (5, 3))]
    )
    labels = np.r_[np.zeros(60, int), np.ones(40, int), np.full(5, -1)]
    return X, labels


def test_metrics_ignore_noise_and_report_shares(two_groups: tuple[np.ndarray, np.ndarray]) -> None:
    X, labels = two_groups
    kept = labels != -1
    out = cluster_metrics(X, labels, random_state=0)
    assert out["n_clusters"] == 2
    assert out["noise_share"] == pytest.approx(5 / 105)
    assert out["largest_share"] == pytest.approx(60 / 105)
    assert out["smallest_share"] == pytest.approx(40 / 105)
    assert out["silhouette"] == pytest.approx(silhouette_score(X[kept], labels[kept]))
    assert out["calinski_harabasz"] == pytest.approx(calinski_harabasz_score(X[kept], labels[kept]))
    assert out["davies_bouldin"] == pytest.approx(davies_bouldin_score(X[kept], labels[kept]))
    assert out["silhouette"] > 0.8


def test_silhouette_on_a_seeded_sample(two_groups: tuple[np.ndarray, np.ndarray]) -> None:
    X, labels = two_groups
    full = cluster_metrics(X, labels)["silhouette"]
    a = cluster_metrics(X, labels, sample_size=30, random_state=3)
    b = cluster_metrics(X, labels, sample_size=30, random_state=3)
    assert a == b
    assert a["silhouette"] != full
    assert a["silhouette"] == pytest.approx(full, abs=0.1)
    # the linear indices always use every clustered row
    assert a["calinski_harabasz"] == pytest.approx(cluster_metrics(X, labels)["calinski_harabasz"])


def test_one_cluster_has_undefined_indices() -> None:
    X = np.arange(12, dtype=float).reshape(6, 2)
    out = cluster_metrics(X, [0, 0, 0, 0, -1, -1])
    assert math.isnan(out["silhouette"])
    assert math.isnan(out["calinski_harabasz"])
    assert math.isnan(out["davies_bouldin"])
    assert out["n_clusters"] == 1
    assert out["largest_share"] == out["smallest_share"] == pytest.approx(4 / 6)


def test_all_noise_has_no_cluster() -> None:
    out = cluster_metrics(np.ones((3, 2)), [-1, -1, -1])
    assert out["n_clusters"] == 0
    assert out["noise_share"] == 1.0
    assert math.isnan(out["largest_share"])
    assert math.isnan(out["smallest_share"])


def test_sample_rows_keeps_everything_when_small_and_is_seeded() -> None:
    assert sample_rows(4, 10).tolist() == [0, 1, 2, 3]
    a = sample_rows(1000, 50, random_state=1)
    assert a.size == 50 and np.unique(a).size == 50 and (np.diff(a) > 0).all()
    assert (a == sample_rows(1000, 50, random_state=1)).all()


def test_length_mismatch_is_a_data_error() -> None:
    with pytest.raises(DataError, match="3 rows but labels has 2"):
        cluster_metrics(np.zeros((3, 2)), [0, 1])


def test_non_finite_matrix_is_a_data_error() -> None:
    with pytest.raises(DataError, match="NaN"):
        cluster_metrics(np.array([[0.0], [np.nan]]), [0, 1])


def test_bad_sample_size_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="sample_size"):
        cluster_metrics(np.zeros((3, 2)), [0, 1, 1], sample_size=1)
