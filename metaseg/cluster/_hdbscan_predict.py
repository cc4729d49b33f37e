"""Vectorised ``approximate_predict`` for a fitted ``hdbscan.HDBSCAN``.

``hdbscan.approximate_predict`` finds each point's row in the condensed tree with a
linear scan, so labelling all n training rows (which the density clusterer does to
make ``predict`` and ``labels_`` agree) costs O(n^2): about 30 s for 100,000 rows,
and scoring a large customer base costs as much again. This module performs the same
computation, step for step, with lookup tables built once from the fitted tree:

1. query the ``2 * min_samples`` nearest training points (the same KD-tree);
2. take the nearest one in mutual reachability distance and ``lambda = 1 / distance``;
3. start at that neighbour's parent cluster and, when the neighbour left the tree at
   a higher lambda, walk up while the cluster was born at a lambda >= ``lambda``;
4. map the cluster to its selected ancestor's label; the probability is
   ``min(lambda, max_lambda) / max_lambda``.

The tests check that labels and probabilities equal the library's, value for value.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_DBL_MAX = np.finfo(np.float64).max
_CHUNK_NEIGHBOURS = 1 << 21


class ApproximatePredictor:
    """Label new points with a fitted HDBSCAN exactly as ``hdbscan.approximate_predict``.

    Parameters
    ----------
    clusterer : hdbscan.HDBSCAN
        Fitted with ``prediction_data=True`` and at least one selected cluster.
    chunk_neighbours : int, default=2**21
        Points are predicted in chunks holding about this many neighbour entries,
        which bounds memory; the result does not depend on it.

    Examples
    --------
    >>> import hdbscan
    >>> from sklearn.datasets import make_blobs
    >>> X, _ = make_blobs(n_samples=200, centers=3, cluster_std=0.4, random_state=0)
    >>> model = hdbscan.HDBSCAN(min_cluster_size=20, prediction_data=True).fit(X)
    >>> labels, probabilities = ApproximatePredictor(model).predict(X[:5])
    >>> labels.tolist() == model.labels_[:5].tolist()
    True
    """

    def __init__(self, clusterer: Any, *, chunk_neighbours: int = _CHUNK_NEIGHBOURS) -> None:
        self._chunk_neighbours = int(chunk_neighbours)
        data = clusterer.prediction_data_
        raw = clusterer.condensed_tree_._raw_tree
        self._tree = data.tree
        self._core = np.asarray(data.core_distances, dtype=np.float64)
        self._min_samples = int(clusterer.min_samples or clusterer.min_cluster_size)

        parents = raw["parent"].astype(np.int64)
        children = raw["child"].astype(np.int64)
        lambdas = raw["lambda_val"].astype(np.float64)
        n_points = int(parents.min())  # the root's id equals the number of points
        size = int(max(parents.max(), children.max())) + 1

        # Row of each point in the condensed tree (the first one, as the library's scan).
        point_rows = np.flatnonzero(children < n_points)
        row_of_point = np.zeros(n_points, dtype=np.int64)
        row_of_point[children[point_rows][::-1]] = point_rows[::-1]
        self._point_parent = parents[row_of_point]
        self._point_lambda = lambdas[row_of_point]

        cluster_tree = data.cluster_tree
        self._root = int(cluster_tree["parent"].min())
        self._cluster_parent = np.full(size, -1, dtype=np.int64)
        self._cluster_birth = np.full(size, np.nan)
        self._cluster_parent[cluster_tree["child"].astype(np.int64)] = cluster_tree["parent"]
        self._cluster_birth[cluster_tree["child"].astype(np.int64)] = cluster_tree["lambda_val"]

        self._label = np.full(size, -1, dtype=np.int64)
        self._max_lambda = np.zeros(size, dtype=np.float64)
        for cluster, label in data.cluster_map.items():
            self._label[int(cluster)] = int(label)
            self._max_lambda[int(cluster)] = float(data.max_lambdas[cluster])

    def predict(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return the label (-1 for noise) and membership probability of each point."""
        points = np.asarray(points, dtype=np.float64)
        labels = np.empty(points.shape[0], dtype=np.int64)
        probabilities = np.empty(points.shape[0], dtype=np.float64)
        step = max(1, self._chunk_neighbours // (2 * self._min_samples))
        for start in range(0, points.shape[0], step):
            stop = min(points.shape[0], start + step)
            labels[start:stop], probabilities[start:stop] = self._predict(points[start:stop])
        return labels, probabilities

    def _predict(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = self._min_samples
        distances, indices = self._tree.query(points, k=2 * s)
        reach = np.maximum(np.maximum(self._core[indices], distances[:, s : s + 1]), distances)
        best = reach.argmin(axis=1)
        rows = np.arange(points.shape[0])
        neighbour = indices[rows, best]
        nearest = reach[rows, best]
        lam = np.full(nearest.shape, _DBL_MAX)
        np.divide(1.0, nearest, out=lam, where=nearest > 0.0)

        cluster = self._point_parent[neighbour].copy()
        active = np.flatnonzero(self._point_lambda[neighbour] > lam)
        while active.size:
            current = cluster[active]
            up = self._cluster_parent[current]
            step = (
                (current > self._root) & (up >= 0) & (self._cluster_birth[current] >= lam[active])
            )
            cluster[active[step]] = up[step]
            active = active[step]

        labels = self._label[cluster]
        max_lambda = self._max_lambda[cluster]
        probabilities = np.zeros(points.shape[0], dtype=np.float64)
        member = labels >= 0
        positive = member & (max_lambda > 0.0)
        probabilities[positive] = (
            np.minimum(max_lambda[positive], lam[positive]) / max_lambda[positive]
        )
        probabilities[member & ~positive] = 1.0
        return labels, probabilities
