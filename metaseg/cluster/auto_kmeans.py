"""k-means that chooses its own number of clusters.

Each candidate k is scored on one seeded sample of the rows (the silhouette is
quadratic in the number of rows), the best k is chosen by one criterion, and the
chosen k is refitted on every row. Clusters are numbered largest first.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from metaseg.cluster._assign import nearest_reference
from metaseg.cluster._validation import check_choice, check_int, validate_matrix
from metaseg.cluster.canonical import canonical_mapping
from metaseg.cluster.metrics import sample_rows, validity_indices
from metaseg.exceptions import ClusteringWarning, ConfigError

__all__ = ["AutoKMeans"]

#: Criterion name -> whether larger is better.
CRITERIA: dict[str, bool] = {
    "silhouette": True,
    "calinski_harabasz": True,
    "davies_bouldin": False,
}
SCORE_COLUMNS: tuple[str, ...] = (*CRITERIA, "inertia", "chosen")


class AutoKMeans(ClusterMixin, BaseEstimator):
    """k-means with the number of clusters chosen by an internal validity criterion.

    Every k in ``[k_min, k_max]`` is fitted on the same seeded sample of at most
    ``sample_size`` rows and scored with the silhouette, Calinski-Harabasz and
    Davies-Bouldin indices and the inertia (all recorded in ``scores_``). The k that
    is best under ``criterion`` (highest silhouette, highest Calinski-Harabasz or
    lowest Davies-Bouldin; ties go to the smaller k) is then refitted on all rows:
    with ``MiniBatchKMeans`` above ``minibatch_threshold`` rows, ``KMeans`` otherwise.
    When every row fits in the sample, the sample fit of the chosen k is reused.

    Clusters are renumbered largest first (:func:`~metaseg.cluster.canonical_relabel`)
    and ``labels_`` is defined as the nearest centre of each row, computed exactly as
    :meth:`predict` computes it, so ``predict(X_train)`` reproduces ``labels_``.

    Parameters
    ----------
    k_min : int, default=2
        Smallest number of clusters tried (at least 2).
    k_max : int, default=8
        Largest number of clusters tried (at least ``k_min``). Clipped to the number
        of distinct rows in the sample minus one when the data has fewer distinct
        rows; the clipping is recorded in ``notes_``.
    criterion : {"silhouette", "calinski_harabasz", "davies_bouldin"}, default="silhouette"
        How k is chosen.
    sample_size : int, default=10_000
        Most rows used to evaluate the candidates; must exceed ``k_max``.
    silhouette_size : int, default=4_000
        Most rows of that sample used for the silhouette, which is quadratic in the rows
        (Calinski-Harabasz and Davies-Bouldin use the whole sample).
    minibatch_threshold : int, default=100_000
        Above this many rows the final fit uses ``MiniBatchKMeans``.
    n_init : "auto" or int, default="auto"
        Passed to scikit-learn's k-means.
    random_state : int, RandomState instance or None, default=None
        Seeds the sample and every k-means fit.

    Attributes
    ----------
    best_k_ : int
        The chosen number of clusters (1 after a fallback).
    n_clusters_ : int
        Number of clusters in ``labels_`` (``best_k_`` unless a centre got no row).
    cluster_centers_ : ndarray of shape (n_clusters_, n_features_in_)
        Centres in canonical order: row ``i`` is the centre of cluster ``i``.
    labels_ : ndarray of int64, shape (n_samples,)
        Cluster of each training row; 0 is the largest.
    scores_ : pandas.DataFrame
        One row per evaluated k (index ``k``) with the three criteria, the sample
        inertia and a boolean ``chosen`` column. Empty after a fallback.
    k_max_ : int
        The largest k actually evaluated (after clipping).
    refit_with_ : {"sample", "KMeans", "MiniBatchKMeans", "none"}
        How the final centres were obtained: the sample fit reused (every row was in
        the sample), a refit on all rows, or none (fallback).
    sample_size_ : int
        Rows in the evaluation sample.
    fallback_reason_ : str or None
        Why the data was left as a single cluster 0, or None.
    notes_ : list of str
        Adjustments made while fitting (for example the clipping of ``k_max``).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` was a DataFrame with string column names.

    Notes
    -----
    When the sample has fewer than ``k_min + 1`` distinct rows (identical rows, a
    tiny segment) nothing is split: every row gets cluster 0, ``fallback_reason_``
    says why and a :class:`~metaseg.exceptions.ClusteringWarning` is emitted.

    The estimator passes scikit-learn's ``check_estimator`` suite without exclusions.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> X, _ = make_blobs(n_samples=300, centers=3, cluster_std=0.5, random_state=0)
    >>> model = AutoKMeans(k_max=6, random_state=0).fit(X)
    >>> model.best_k_
    3
    >>> bool((model.predict(X) == model.labels_).all())
    True
    """

    def __init__(
        self,
        *,
        k_min: int = 2,
        k_max: int = 8,
        criterion: str = "silhouette",
        sample_size: int = 10_000,
        silhouette_size: int = 4_000,
        minibatch_threshold: int = 100_000,
        n_init: str | int = "auto",
        random_state: Any = None,
    ) -> None:
        self.k_min = k_min
        self.k_max = k_max
        self.criterion = criterion
        self.sample_size = sample_size
        self.silhouette_size = silhouette_size
        self.minibatch_threshold = minibatch_threshold
        self.n_init = n_init
        self.random_state = random_state

    # ------------------------------------------------------------------ checks
    def _check_params(self) -> dict[str, Any]:
        owner = type(self).__name__
        k_min = check_int(owner, "k_min", self.k_min, minimum=2, hint="Use k_min=2 or more.")
        k_max = check_int(
            owner, "k_max", self.k_max, minimum=2, hint="Use k_max >= k_min (e.g. 8)."
        )
        if k_max < k_min:
            raise ConfigError(
                f"{owner}: k_max must be >= k_min, got k_max={k_max} and k_min={k_min}. "
                "Raise k_max or lower k_min."
            )
        check_choice(owner, "criterion", self.criterion, tuple(CRITERIA))
        sample_size = check_int(
            owner,
            "sample_size",
            self.sample_size,
            minimum=k_max + 1,
            hint=f"Every candidate k up to k_max={k_max} must be scorable on the sample.",
        )
        silhouette_size = check_int(
            owner,
            "silhouette_size",
            self.silhouette_size,
            minimum=k_max + 1,
            hint="The silhouette needs more rows than clusters (it is quadratic: keep it small).",
        )
        threshold = check_int(
            owner, "minibatch_threshold", self.minibatch_threshold, minimum=1, hint=""
        )
        if not (isinstance(self.n_init, str) and self.n_init == "auto"):
            check_int(owner, "n_init", self.n_init, minimum=1, hint="Use 'auto' or an int >= 1.")
        return {
            "k_min": k_min,
            "k_max": k_max,
            "sample_size": sample_size,
            "silhouette_size": silhouette_size,
            "minibatch_threshold": threshold,
        }

    # --------------------------------------------------------------------- fit
    def fit(self, X: npt.ArrayLike, y: Any = None) -> AutoKMeans:
        """Choose k on a sample, refit it on all rows and number clusters largest first.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Numeric, finite, already scaled.
        y : ignored

        Returns
        -------
        self
        """
        params = self._check_params()
        X = validate_matrix(self, X, reset=True)
        self._fit(X, params)
        if self.fallback_reason_ is not None:
            warnings.warn(
                f"AutoKMeans left all {X.shape[0]} rows in one cluster 0: {self.fallback_reason_}.",
                ClusteringWarning,
                stacklevel=2,
            )
        return self

    def _fit(self, X: np.ndarray, params: dict[str, Any]) -> None:
        rng = check_random_state(self.random_state)
        rows = sample_rows(X.shape[0], params["sample_size"], rng)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        X_sample = X[rows]
        self.sample_size_ = int(rows.size)
        self.notes_: list[str] = []
        self.fallback_reason_: str | None = None

        n_distinct = int(np.unique(X_sample, axis=0).shape[0])
        if n_distinct < params["k_min"] + 1:
            what = "rows" if rows.size == X.shape[0] else f"rows in the sample of {rows.size}"
            self._fallback(
                X,
                f"only {n_distinct} distinct {what}; k-means needs at least "
                f"k_min + 1 = {params['k_min'] + 1} to compare k={params['k_min']} or more "
                "clusters",
            )
            return
        k_max = params["k_max"]
        if n_distinct - 1 < k_max:
            self.notes_.append(
                f"k_max clipped from {k_max} to {n_distinct - 1}: the sample has only "
                f"{n_distinct} distinct rows"
            )
            k_max = n_distinct - 1
        self.k_max_ = k_max

        fits: dict[int, Any] = {}
        records = []
        # the same silhouette rows for every k, drawn apart from the k-means seed
        silhouette_rows = sample_rows(X_sample.shape[0], params["silhouette_size"], seed)
        for k in range(params["k_min"], k_max + 1):
            model = self._kmeans(k, seed, minibatch=False).fit(X_sample)
            fits[k] = model
            indices = validity_indices(X_sample, model.labels_, silhouette_rows=silhouette_rows)
            records.append({"k": k, **indices, "inertia": float(model.inertia_)})
        scores = pd.DataFrame.from_records(records).set_index("k")
        # Every k here is below the number of distinct rows, so each k-means run has
        # k non-empty clusters and all three indices are defined.
        values = scores[self.criterion].to_numpy(dtype=np.float64)
        best = int(np.argmax(values) if CRITERIA[self.criterion] else np.argmin(values))
        self.best_k_ = int(scores.index[best])
        scores["chosen"] = scores.index == self.best_k_
        self.scores_ = scores

        if rows.size == X.shape[0]:
            final = fits[self.best_k_]
            self.refit_with_ = "sample"
        else:
            minibatch = X.shape[0] > params["minibatch_threshold"]
            final = self._kmeans(self.best_k_, seed, minibatch=minibatch).fit(X)
            self.refit_with_ = type(final).__name__
        self._set_centres(X, np.asarray(final.cluster_centers_, dtype=np.float64))

    def _kmeans(self, k: int, seed: int, *, minibatch: bool) -> Any:
        from sklearn.cluster import KMeans, MiniBatchKMeans

        cls = MiniBatchKMeans if minibatch else KMeans
        return cls(n_clusters=k, n_init=self.n_init, random_state=seed)

    def _set_centres(self, X: np.ndarray, centres: np.ndarray) -> None:
        raw, _ = nearest_reference(X, centres)
        mapping = canonical_mapping(raw)
        empty = centres.shape[0] - len(mapping)
        if empty:
            self.notes_.append(f"{empty} centre(s) with no row after the final fit were dropped")
        order = sorted(mapping, key=mapping.__getitem__)
        self.cluster_centers_ = centres[order]
        self.labels_, _ = nearest_reference(X, self.cluster_centers_)
        self.n_clusters_ = int(self.cluster_centers_.shape[0])

    def _fallback(self, X: np.ndarray, reason: str) -> None:
        self.fallback_reason_ = reason
        self.refit_with_ = "none"
        self.best_k_ = 1
        self.k_max_ = 1
        self.n_clusters_ = 1
        self.cluster_centers_ = X.mean(axis=0, keepdims=True)
        self.labels_ = np.zeros(X.shape[0], dtype=np.int64)
        empty = pd.DataFrame(
            {c: pd.Series(dtype=bool if c == "chosen" else np.float64) for c in SCORE_COLUMNS}
        )
        self.scores_ = empty.rename_axis("k")

    # ----------------------------------------------------------------- predict
    def predict(self, X: npt.ArrayLike) -> np.ndarray:
        """Return the number of the nearest centre for each row.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features_in_)

        Returns
        -------
        ndarray of int64, shape (n_samples,)
        """
        check_is_fitted(self, "cluster_centers_")
        X = validate_matrix(self, X, reset=False)
        labels, _ = nearest_reference(X, self.cluster_centers_)
        return labels
