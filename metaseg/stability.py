"""Bootstrap stability of a clustering: resample, refit, compare on the overlap."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.metrics import adjusted_rand_score


def bootstrap_stability(
    clusterer: Any,
    X: np.ndarray,
    labels: np.ndarray,
    *,
    n_bootstrap: int = 3,
    sample_size: int = 2_000,
    random_state: int | None = None,
) -> float:
    """Mean adjusted Rand index between ``labels`` and refits on bootstrap samples.

    Each round draws ``sample_size`` rows with replacement, refits a clone of
    ``clusterer`` (with a round-specific seed) on them, predicts the distinct drawn rows
    and compares those predictions with ``labels`` on the same rows. 1.0 means every
    refit found the same partition; values near 0 mean the partition is noise.

    Parameters
    ----------
    clusterer : estimator
        An unfitted or fitted clusterer with ``fit``/``predict`` and ``random_state``.
    X : ndarray of shape (n_samples, n_features)
        The matrix the labels were computed on.
    labels : ndarray of shape (n_samples,)
        The reference labels.
    n_bootstrap : int
        Number of refits; 0 returns NaN.
    sample_size : int
        Rows drawn per refit (capped at ``n_samples``).
    random_state : int, optional
        Seed of the resampling and of the refits.

    Returns
    -------
    float
        The mean adjusted Rand index, or NaN when ``n_bootstrap`` is 0 or the labels
        hold a single cluster.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from metaseg.cluster import AutoKMeans
    >>> X, _ = make_blobs(600, centers=3, random_state=0)
    >>> km = AutoKMeans(k_min=2, k_max=4, random_state=0).fit(X)
    >>> bootstrap_stability(km, X, km.labels_, n_bootstrap=2, random_state=0) > 0.9
    True
    """
    labels = np.asarray(labels)
    if n_bootstrap <= 0 or np.unique(labels).size < 2:
        return float("nan")
    rng = np.random.default_rng(random_state)
    n = len(X)
    size = min(int(sample_size), n)
    scores = []
    for _ in range(n_bootstrap):
        rows = rng.integers(0, n, size=size)
        seed = int(rng.integers(0, 2**31 - 1))
        refit = clone(clusterer).set_params(random_state=seed)
        refit.fit(X[rows])
        distinct = np.unique(rows)
        scores.append(adjusted_rand_score(labels[distinct], refit.predict(X[distinct])))
    return float(np.mean(scores))
