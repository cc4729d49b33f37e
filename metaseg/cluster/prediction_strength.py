"""Prediction strength: does a k-cluster partition replicate on data it was not fitted on?

Tibshirani and Walther (2005), "Cluster validation by prediction strength", Journal of
Computational and Graphical Statistics 14(3). The rows are split at random into two
halves. Both halves are clustered into k groups; every pair of rows that the test half's
own clustering puts together should also fall into one cluster of the training half's
partition (each test row goes to its nearest training centre). For each test cluster the
share of its pairs kept together is computed, and the prediction strength of k is the
smallest of those shares, averaged over both directions of the split and over repeated
splits:

    ps(k) = mean over splits of  min_j  (pairs of test cluster j kept together) / (pairs in j)

A partition that describes groups in the data keeps its pairs together (ps near 1);
k-means cutting a continuum puts its boundaries somewhere else on every half, and the
smallest cluster of such a cut loses many of its pairs. The authors choose the largest k
whose prediction strength reaches 0.8 to 0.9, and k = 1 (always 1.0) when none does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from metaseg.cluster._assign import nearest_reference

__all__ = ["pair_share_kept", "prediction_strength"]


def pair_share_kept(test_labels: np.ndarray, predicted: np.ndarray) -> float:
    """Smallest share, over the clusters of ``test_labels``, of their pairs that
    ``predicted`` keeps in one cluster (clusters of one row are left out).

    Examples
    --------
    >>> pair_share_kept(np.array([0, 0, 0, 1, 1]), np.array([5, 5, 7, 3, 3]))
    0.3333333333333333
    >>> pair_share_kept(np.array([0, 0, 1, 1]), np.array([1, 1, 0, 0]))
    1.0
    """
    shares = []
    for cluster in np.unique(test_labels):
        members = predicted[test_labels == cluster]
        n = members.size
        if n < 2:
            continue
        counts = np.unique(members, return_counts=True)[1].astype(np.float64)
        shares.append(float((counts * (counts - 1)).sum() / (n * (n - 1))))
    return min(shares) if shares else 1.0


def prediction_strength(
    X: np.ndarray,
    ks: Sequence[int],
    *,
    n_splits: int,
    random_state: int,
    fit_kmeans: Callable[[np.ndarray, int], Any],
) -> dict[int, float]:
    """Prediction strength of every k in ``ks`` (k = 1 is 1.0 by definition).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The (sampled, scaled) rows; at least ``2 * max(ks)`` of them.
    ks : sequence of int
        The numbers of clusters to evaluate.
    n_splits : int
        Random half splits; each is scored in both directions.
    random_state : int
        Seeds the splits.
    fit_kmeans : callable
        ``fit_kmeans(X, k)`` returns a fitted k-means with ``labels_`` and
        ``cluster_centers_``.

    Returns
    -------
    dict of int to float
        ``{k: prediction strength}``.

    Examples
    --------
    >>> from sklearn.cluster import KMeans
    >>> from sklearn.datasets import make_blobs
    >>> X, _ = make_blobs(400, centers=3, cluster_std=0.5, random_state=0)
    >>> fit = lambda A, k: KMeans(k, n_init=2, random_state=0).fit(A)
    >>> strength = prediction_strength(X, [2, 3, 5], n_splits=2, random_state=0, fit_kmeans=fit)
    >>> strength[3] > 0.9 > strength[5]
    True
    """
    rng = np.random.default_rng(random_state)
    n = X.shape[0]
    splits = []
    for _ in range(n_splits):
        order = rng.permutation(n)
        splits.append((np.sort(order[: n // 2]), np.sort(order[n // 2 :])))
    strength: dict[int, float] = {}
    for k in ks:
        if k == 1:
            strength[k] = 1.0
            continue
        values = []
        for first, second in splits:
            fits = fit_kmeans(X[first], k), fit_kmeans(X[second], k)
            # each half's own clusters, predicted from the other half's centres
            for train_fit, test_rows, test_fit in (
                (fits[0], second, fits[1]),
                (fits[1], first, fits[0]),
            ):
                centres = np.asarray(train_fit.cluster_centers_, dtype=np.float64)
                predicted, _ = nearest_reference(X[test_rows], centres)
                values.append(pair_share_kept(np.asarray(test_fit.labels_), predicted))
        strength[k] = float(np.mean(values))
    return strength
