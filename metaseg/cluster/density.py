"""HDBSCAN sub-segments, optionally on a UMAP embedding, with a policy for noise.

Training labels are produced by the same assignment path as :meth:`predict`
(HDBSCAN's approximate prediction on the training rows, then the noise policy), so
scoring the training customers reproduces the training labels exactly.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from metaseg._params import check_choice, check_int, check_real
from metaseg.cluster._assign import nearest_reference
from metaseg.cluster._hdbscan_predict import ApproximatePredictor
from metaseg.cluster._row_index import RowIndex
from metaseg.cluster._validation import validate_matrix
from metaseg.cluster.canonical import apply_mapping, canonical_mapping
from metaseg.exceptions import ClusteringWarning, ConfigError
from metaseg.schema import NOISE

__all__ = ["DensityClusterer"]

NOISE_POLICIES: tuple[str, ...] = ("keep", "threshold", "all")
REDUCERS: tuple[str | None, ...] = (None, "umap")
SELECTION_METHODS: tuple[str, ...] = ("eom", "leaf")
#: ``min_samples=None`` uses ``min(min_cluster_size_, DEFAULT_MIN_SAMPLES)``.
DEFAULT_MIN_SAMPLES = 10


class DensityClusterer(ClusterMixin, BaseEstimator):
    """HDBSCAN clustering (``hdbscan`` library) with optional UMAP reduction.

    Parameters
    ----------
    min_cluster_size : int or float, default=0.05
        Smallest cluster: an int is a count of rows (at least 2), a float in (0, 1)
        a fraction of the rows, rounded up (and raised to 2 if smaller). The value
        used is ``min_cluster_size_``.
    min_samples : int or None, default=None
        HDBSCAN's ``min_samples`` (how conservative the density estimate is: larger
        values call more rows noise). None uses ``min(min_cluster_size_, 10)``:
        HDBSCAN's own default (``min_cluster_size``) grows with a fractional
        ``min_cluster_size``, which makes the neighbour searches of fitting and
        prediction quadratic in the rows. Lowered to half the rows when larger
        (noted in ``notes_``), because prediction looks up ``2 * min_samples``
        neighbours. The value used is ``min_samples_``.
    reducer : {None, "umap"}, default=None
        Reduce the features with UMAP before clustering.
    n_components, n_neighbors, min_dist : int, int, float
        UMAP settings (defaults 5, 15, 0.0: a tight embedding meant for clustering).
    noise_policy : {"threshold", "keep", "all"}, default="threshold"
        What happens to rows HDBSCAN calls noise. ``"keep"`` leaves them at -1.
        ``"threshold"`` moves a noise row to its most likely cluster when its
        membership strength (the largest entry of HDBSCAN's soft-clustering
        membership vector) is at least ``noise_threshold``. ``"all"`` moves every
        noise row to its most likely cluster (by membership, or by the nearest
        cluster exemplar when the membership vector is all zero).
    noise_threshold : float in [0, 1], default=0.1
        Membership strength needed by the ``"threshold"`` policy.
    cluster_selection_method : {"eom", "leaf"}, default="eom"
        HDBSCAN's cluster selection.
    allow_single_cluster : bool, default=True
        Let HDBSCAN select the whole data as one cluster: its own answer "do not
        split" for a single population, which it would otherwise cut into its densest
        pieces. When it does, every row gets sub-segment 0 and ``decision_`` says so.
    random_state : int, RandomState instance or None, default=None
        Seeds UMAP (fit and transform). HDBSCAN itself is deterministic.

    Attributes
    ----------
    labels_ : ndarray of int64, shape (n_samples,)
        Sub-segment of each training row, numbered largest first; -1 is noise.
    probabilities_ : ndarray of float64, shape (n_samples,)
        Strength of each row's assignment: HDBSCAN's membership probability for rows
        it placed in a cluster, the membership strength for noise rows moved by the
        policy, 0 for rows left as noise, 1 after a fallback.
    n_clusters_ : int
        Number of sub-segments (noise excluded).
    noise_share_ : float
        Share of training rows labelled -1.
    relative_validity_ : float
        HDBSCAN's DBCV approximation (``relative_validity_`` of the fitted HDBSCAN,
        computed on its own labels); NaN after a fallback.
    min_cluster_size_ : int
        The resolved minimum cluster size.
    min_samples_ : int
        The ``min_samples`` given to HDBSCAN.
    hdbscan_ : hdbscan.HDBSCAN or None
        The fitted HDBSCAN (None when the fit stopped before it).
    reducer_ : umap.UMAP or None
        The fitted UMAP when ``reducer="umap"``.
    mapping_ : dict of int to int
        HDBSCAN cluster number -> canonical sub-segment.
    fallback_reason_ : str or None
        Why every row was put in one sub-segment 0 because the data could not be
        clustered (too few rows, all noise), or None.
    decision_ : str
        How many clusters HDBSCAN selected, or why the data was not split.
    notes_ : list of str
        Adjustments made while fitting.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` was a DataFrame with string column names.

    Notes
    -----
    *Exact reproduction.* A row is labelled by HDBSCAN's approximate prediction (and
    the noise policy) on its embedding. The prediction is a vectorised equivalent of
    ``hdbscan.approximate_predict`` (same labels and probabilities, value for value,
    but linear instead of quadratic in the training rows; see
    ``metaseg.cluster._hdbscan_predict``); noise rows get their membership vectors
    from ``hdbscan.prediction.membership_vector``. Without a reducer all of this is a
    per-row computation. With UMAP, a row identical to a training row reuses that row's
    fitted embedding (found by a 128-bit row hash), so training rows get their
    training labels however they are batched. Genuinely new rows go through
    ``UMAP.transform``, which is deterministic for a given ``random_state`` and a
    given batch, but, as in UMAP itself, may move slightly with the batch's content.

    *Fallback.* When HDBSCAN finds fewer than two clusters (all noise, or a single
    cluster), when the rows are too few for two clusters of ``min_cluster_size_``,
    or too few for UMAP's neighbourhood, every row gets sub-segment 0, the reason
    is stored in ``fallback_reason_`` and a
    :class:`~metaseg.exceptions.ClusteringWarning` is emitted.

    *UMAP* runs single-threaded when ``random_state`` is set (UMAP needs that to be
    reproducible).

    The estimator passes scikit-learn's ``check_estimator`` suite without exclusions.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> X, _ = make_blobs(n_samples=300, centers=3, cluster_std=0.5, random_state=0)
    >>> model = DensityClusterer(min_cluster_size=0.1).fit(X)
    >>> model.n_clusters_
    3
    >>> bool((model.predict(X) == model.labels_).all())
    True
    """

    def __init__(
        self,
        *,
        min_cluster_size: int | float = 0.05,
        min_samples: int | None = None,
        reducer: str | None = None,
        n_components: int = 5,
        n_neighbors: int = 15,
        min_dist: float = 0.0,
        noise_policy: str = "threshold",
        noise_threshold: float = 0.1,
        cluster_selection_method: str = "eom",
        allow_single_cluster: bool = True,
        random_state: Any = None,
    ) -> None:
        self.min_cluster_size = min_cluster_size
        self.min_samples = min_samples
        self.reducer = reducer
        self.n_components = n_components
        self.n_neighbors = n_neighbors
        self.min_dist = min_dist
        self.noise_policy = noise_policy
        self.noise_threshold = noise_threshold
        self.cluster_selection_method = cluster_selection_method
        self.allow_single_cluster = allow_single_cluster
        self.random_state = random_state

    # ------------------------------------------------------------------ checks
    def _check_params(self) -> None:
        owner = type(self).__name__
        mcs = self.min_cluster_size
        if isinstance(mcs, bool) or not isinstance(mcs, numbers.Real):
            raise ConfigError(
                f"{owner}: min_cluster_size must be an int count (>= 2) or a float fraction "
                f"of the rows in (0, 1), got {mcs!r}."
            )
        if isinstance(mcs, numbers.Integral):
            check_int(
                owner,
                "min_cluster_size",
                mcs,
                minimum=2,
                hint="Pass a count of at least 2 rows, or a fraction in (0, 1) such as 0.05.",
            )
        else:
            check_real(
                owner,
                "min_cluster_size",
                mcs,
                low=0.0,
                high=1.0,
                low_open=True,
                high_open=True,
                hint="A float is a fraction of the rows; pass an int for a count of rows.",
            )
        if self.min_samples is not None:
            check_int(
                owner, "min_samples", self.min_samples, minimum=1, hint="Use None or an int >= 1."
            )
        check_choice(owner, "reducer", self.reducer, REDUCERS)
        check_int(owner, "n_components", self.n_components, minimum=1, hint="Use e.g. 5.")
        check_int(owner, "n_neighbors", self.n_neighbors, minimum=2, hint="Use e.g. 15.")
        check_real(owner, "min_dist", self.min_dist, low=0.0, high=math.inf, hint="Use e.g. 0.0.")
        check_choice(owner, "noise_policy", self.noise_policy, NOISE_POLICIES)
        check_real(
            owner,
            "noise_threshold",
            self.noise_threshold,
            low=0.0,
            high=1.0,
            hint="It is a membership strength; 0.1 is a reasonable value.",
        )
        check_choice(
            owner, "cluster_selection_method", self.cluster_selection_method, SELECTION_METHODS
        )

    def _resolve_sizes(self, n: int) -> None:
        mcs = self.min_cluster_size
        if isinstance(mcs, numbers.Integral):
            size = int(mcs)
        else:
            size = math.ceil(float(mcs) * n)
            if size < 2:
                self.notes_.append(
                    f"min_cluster_size={mcs} of {n} rows is {size}; raised to 2 (HDBSCAN's minimum)"
                )
                size = 2
        self.min_cluster_size_ = size
        if self.min_samples is None:
            samples = min(size, DEFAULT_MIN_SAMPLES)
        else:
            samples = int(self.min_samples)
        if 2 * samples > n and n >= 2:
            self.notes_.append(
                f"min_samples lowered from {samples} to {n // 2}: prediction needs "
                f"2 * min_samples neighbours among the {n} rows"
            )
            samples = n // 2
        self.min_samples_ = max(1, samples)

    # --------------------------------------------------------------------- fit
    def fit(self, X: npt.ArrayLike, y: Any = None) -> DensityClusterer:
        """Fit UMAP (optional) and HDBSCAN, then label the rows through the predict path.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Numeric, finite, already scaled.
        y : ignored

        Returns
        -------
        self
        """
        self._check_params()
        X = validate_matrix(self, X, reset=True)
        self._fit(X)
        if self.fallback_reason_ is not None:
            warnings.warn(
                f"DensityClusterer left all {X.shape[0]} rows in one sub-segment 0: "
                f"{self.fallback_reason_}.",
                ClusteringWarning,
                stacklevel=2,
            )
        return self

    def _fit(self, X: np.ndarray) -> None:
        import hdbscan

        n = X.shape[0]
        self.notes_: list[str] = []
        self.fallback_reason_: str | None = None
        self.hdbscan_: Any = None
        self.reducer_: Any = None
        self._row_index: RowIndex | None = None
        self._embedding: np.ndarray | None = None
        self._predictor: ApproximatePredictor | None = None
        self._resolve_sizes(n)
        if n < 2 * self.min_cluster_size_:
            self._fallback(
                n,
                f"{n} rows cannot hold two clusters of min_cluster_size_={self.min_cluster_size_}",
            )
            return
        if self.reducer == "umap" and n <= max(self.n_neighbors, self.n_components + 1):
            self._fallback(
                n,
                f"{n} rows are too few for UMAP with n_neighbors={self.n_neighbors} and "
                f"n_components={self.n_components}",
            )
            return

        Z = self._fit_reducer(X) if self.reducer == "umap" else X
        model = hdbscan.HDBSCAN(
            min_cluster_size=self.min_cluster_size_,
            min_samples=self.min_samples_,
            cluster_selection_method=self.cluster_selection_method,
            allow_single_cluster=bool(self.allow_single_cluster),
            prediction_data=True,
            gen_min_span_tree=True,
            core_dist_n_jobs=1,
        ).fit(Z)
        self.hdbscan_ = model
        found = np.unique(model.labels_[model.labels_ != NOISE]).size
        if found == 1 and self.allow_single_cluster:
            self.fallback_reason_ = None
            self.decision_ = "not split: HDBSCAN selected the whole segment as one cluster"
            self._whole(n)
            return
        if found < 2:
            what = "no cluster (every row is noise)" if found == 0 else "a single cluster"
            self._fallback(n, f"HDBSCAN found {what}")
            return
        self.decision_ = f"{found} clusters selected by HDBSCAN ({self.cluster_selection_method})"

        self._predictor = ApproximatePredictor(model)
        raw, strength = self._assign(self._embed(X))
        mapping = canonical_mapping(raw)
        if len(mapping) < 2:
            self._fallback(n, "the training rows fall into a single cluster after assignment")
            return
        # Clusters HDBSCAN selected but no training row was assigned to come last.
        for cluster in range(found):
            mapping.setdefault(cluster, len(mapping))
        self.mapping_ = mapping
        self.labels_ = apply_mapping(raw, mapping)
        self.probabilities_ = strength
        self.n_clusters_ = len(mapping)
        self.noise_share_ = float(np.mean(self.labels_ == NOISE))
        self.relative_validity_ = float(model.relative_validity_)

    def _fit_reducer(self, X: np.ndarray) -> np.ndarray:
        with warnings.catch_warnings():
            # umap announces on import that its optional TensorFlow variant is missing.
            warnings.filterwarnings("ignore", message="Tensorflow not installed")
            import umap

        seed = None
        if self.random_state is not None:
            seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        reducer = umap.UMAP(
            n_components=self.n_components,
            n_neighbors=self.n_neighbors,
            min_dist=self.min_dist,
            random_state=seed,
            transform_seed=42 if seed is None else seed,
            n_jobs=1 if seed is not None else -1,
        )
        embedding = np.asarray(reducer.fit_transform(X), dtype=np.float64)
        self.reducer_ = reducer
        self._embedding = embedding
        self._row_index = RowIndex(X)
        return embedding

    def _fallback(self, n: int, reason: str) -> None:
        self.fallback_reason_ = reason
        self.decision_ = f"not split: {reason}"
        self._whole(n)

    def _whole(self, n: int) -> None:
        """Every row in sub-segment 0."""
        self.mapping_ = {}
        self.labels_ = np.zeros(n, dtype=np.int64)
        self.probabilities_ = np.ones(n, dtype=np.float64)
        self.n_clusters_ = 1
        self.noise_share_ = 0.0
        self.relative_validity_ = math.nan

    # ------------------------------------------------------------------ pickling
    def __getstate__(self) -> dict[str, Any]:
        """Pickle without the prediction lookup tables: they are rebuilt from the tree."""
        state = dict(super().__getstate__())
        if state.get("_predictor") is not None:
            state["_predictor"] = None
            state["_rebuild_predictor"] = True
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        rebuild = bool(state.pop("_rebuild_predictor", False))
        super().__setstate__(state)
        if rebuild:
            self._predictor = ApproximatePredictor(self.hdbscan_)

    # ---------------------------------------------------------------- assignment
    def _embed(self, X: np.ndarray) -> np.ndarray:
        """Return the space HDBSCAN works in: ``X`` itself or its UMAP embedding."""
        if self.reducer_ is None:
            return X
        position = self._row_index.lookup(X)
        known = position >= 0
        Z = np.empty((X.shape[0], self._embedding.shape[1]), dtype=np.float64)
        Z[known] = self._embedding[position[known]]
        if not known.all():
            Z[~known] = self.reducer_.transform(X[~known])
        return Z

    def _assign(self, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """HDBSCAN cluster (before renumbering) and strength of each row of ``Z``."""
        from hdbscan.prediction import membership_vector

        labels, strength = self._predictor.predict(Z)
        noise = np.flatnonzero(labels == NOISE)
        if self.noise_policy == "keep" or noise.size == 0:
            return labels, strength
        vectors = np.nan_to_num(np.atleast_2d(membership_vector(self.hdbscan_, Z[noise])))
        best = vectors.argmax(axis=1).astype(np.int64)
        best_strength = vectors.max(axis=1)
        blank = best_strength <= 0.0
        if blank.any():
            best[blank] = self._nearest_exemplar_cluster(Z[noise[blank]])
        move = np.ones(noise.size, dtype=bool)
        if self.noise_policy == "threshold":
            move = best_strength >= self.noise_threshold
        labels[noise[move]] = best[move]
        strength[noise[move]] = best_strength[move]
        return labels, strength

    def _nearest_exemplar_cluster(self, Z: np.ndarray) -> np.ndarray:
        exemplars = self.hdbscan_.prediction_data_.exemplars
        points = np.vstack(exemplars)
        owner = np.repeat(np.arange(len(exemplars)), [len(e) for e in exemplars])
        index, _ = nearest_reference(Z, points)
        return owner[index]

    # ----------------------------------------------------------------- predict
    def predict(self, X: npt.ArrayLike) -> np.ndarray:
        """Return the sub-segment of each row (-1 for noise kept by the policy).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features_in_)

        Returns
        -------
        ndarray of int64, shape (n_samples,)
        """
        check_is_fitted(self, "n_clusters_")
        X = validate_matrix(self, X, reset=False)
        if self.n_clusters_ < 2:  # not split: by choice or by fallback
            return np.zeros(X.shape[0], dtype=np.int64)
        raw, _ = self._assign(self._embed(X))
        return apply_mapping(raw, self.mapping_)

    def predict_proba(self, X: npt.ArrayLike) -> np.ndarray:
        """Soft membership: HDBSCAN's membership vector of each row over the sub-segments.

        ``hdbscan.prediction.membership_vector`` combines how close a row is to each
        cluster's exemplars with how persistent its neighbourhood is in each cluster's
        part of the tree (HDBSCAN's soft clustering). It is used for training rows too
        (rather than ``all_points_membership_vectors``, which holds the training rows'
        values computed from the tree itself), so a row gets the same vector whether it
        is scored with the training set or alone. Noise is not a column: the vector
        says where a row would most likely belong; :meth:`predict` may still call it
        noise (``noise_policy``).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features_in_)

        Returns
        -------
        ndarray of shape (n_samples, n_clusters_)
            Column ``i`` is sub-segment ``i``; rows sum to 1 (a row the vector leaves
            blank gets 1 for its nearest exemplar's cluster). One column of ones when not
            split.

        Examples
        --------
        >>> from sklearn.datasets import make_blobs
        >>> X, _ = make_blobs(n_samples=300, centers=3, cluster_std=0.5, random_state=0)
        >>> model = DensityClusterer(min_cluster_size=0.1).fit(X)
        >>> proba = model.predict_proba(X)
        >>> proba.shape, bool(np.allclose(proba.sum(axis=1), 1.0))
        ((300, 3), True)
        """
        from hdbscan.prediction import membership_vector

        check_is_fitted(self, "n_clusters_")
        X = validate_matrix(self, X, reset=False)
        if self.n_clusters_ < 2:
            return np.ones((X.shape[0], 1), dtype=np.float64)
        Z = self._embed(X)
        vectors = np.nan_to_num(np.atleast_2d(membership_vector(self.hdbscan_, Z)))
        vectors = vectors.reshape(X.shape[0], -1)
        blank = vectors.sum(axis=1) <= 0.0
        if blank.any():
            vectors[blank] = 0.0
            vectors[np.flatnonzero(blank), self._nearest_exemplar_cluster(Z[blank])] = 1.0
        vectors = vectors / vectors.sum(axis=1, keepdims=True)
        out = np.zeros((X.shape[0], self.n_clusters_), dtype=np.float64)
        for raw, canonical in self.mapping_.items():
            out[:, canonical] += vectors[:, raw]
        return out
