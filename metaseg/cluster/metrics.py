"""Internal validity metrics of one clustering, as reported per base segment.

The silhouette is quadratic in the number of rows, so it is computed on a seeded
sample; Calinski-Harabasz and Davies-Bouldin are linear and use every clustered row.
Noise rows (``-1``) are left out of the three indices and counted in ``noise_share``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.utils import check_random_state

from metaseg._params import check_int
from metaseg.cluster.canonical import _as_label_array
from metaseg.exceptions import DataError
from metaseg.schema import NOISE

__all__ = ["cluster_metrics", "sample_rows", "validity_indices"]


def sample_rows(n_rows: int, sample_size: int, random_state: Any = None) -> np.ndarray:
    """Return sorted positions of at most ``sample_size`` rows drawn without replacement.

    Every row is kept (in order) when there are no more than ``sample_size`` rows.

    Examples
    --------
    >>> sample_rows(5, 10).tolist()
    [0, 1, 2, 3, 4]
    >>> len(sample_rows(1000, 10, random_state=0))
    10
    """
    if n_rows <= sample_size:
        return np.arange(n_rows)
    rng = check_random_state(random_state)
    return np.sort(rng.choice(n_rows, size=sample_size, replace=False))


def validity_indices(
    X: np.ndarray, labels: np.ndarray, *, silhouette_rows: np.ndarray | None = None
) -> dict[str, float]:
    """Silhouette, Calinski-Harabasz and Davies-Bouldin of ``labels`` on ``X``.

    Calinski-Harabasz and Davies-Bouldin use every row; the silhouette uses only
    ``silhouette_rows`` when given (it is quadratic in the number of rows). An index
    is NaN where it is undefined: fewer than 2 clusters, or as many clusters as rows.
    No noise handling: callers pass the rows to score.

    Examples
    --------
    >>> X = np.array([[0.0], [0.1], [5.0], [5.1]])
    >>> out = validity_indices(X, np.array([0, 0, 1, 1]))
    >>> bool(out["silhouette"] > 0.9), bool(out["davies_bouldin"] < 0.1)
    (True, True)
    """
    from sklearn.metrics import (
        calinski_harabasz_score,
        davies_bouldin_score,
        silhouette_score,
    )

    def defined(lab: np.ndarray) -> bool:
        n_labels = np.unique(lab).size
        return 2 <= n_labels < lab.shape[0]

    out = {"silhouette": math.nan, "calinski_harabasz": math.nan, "davies_bouldin": math.nan}
    with np.errstate(divide="ignore", invalid="ignore"):
        if defined(labels):
            out["calinski_harabasz"] = float(calinski_harabasz_score(X, labels))
            out["davies_bouldin"] = float(davies_bouldin_score(X, labels))
        X_s, lab_s = (
            (X, labels)
            if silhouette_rows is None
            else (
                X[silhouette_rows],
                labels[silhouette_rows],
            )
        )
        if defined(lab_s):
            out["silhouette"] = float(silhouette_score(X_s, lab_s))
    return out


def cluster_metrics(
    X: npt.ArrayLike,
    labels: npt.ArrayLike,
    *,
    sample_size: int = 10_000,
    random_state: Any = None,
) -> dict[str, float]:
    """Internal validity metrics and size shares of one clustering.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The matrix that was clustered (numeric, finite).
    labels : array-like of int, shape (n_samples,)
        Cluster numbers, ``-1`` for noise.
    sample_size : int, default=10_000
        Most clustered rows used for the silhouette (seeded sample without replacement).
    random_state : int, RandomState or None, default=None
        Seed of the silhouette sample.

    Returns
    -------
    dict
        ``silhouette`` (on the sample, noise excluded), ``calinski_harabasz`` and
        ``davies_bouldin`` (noise excluded; NaN with fewer than 2 clusters),
        ``noise_share`` (share of rows labelled -1), ``n_clusters`` (noise excluded),
        ``smallest_share`` and ``largest_share`` (cluster size over all rows; NaN
        when there is no cluster).

    Examples
    --------
    >>> X = np.array([[0.0], [0.2], [0.1], [9.0], [9.2], [50.0]])
    >>> m = cluster_metrics(X, [0, 0, 0, 1, 1, -1], random_state=0)
    >>> m["n_clusters"], round(m["noise_share"], 3), m["largest_share"]
    (2, 0.167, 0.5)
    """
    from sklearn.utils import check_array

    arr = check_array(X, dtype=np.float64, ensure_all_finite=False, input_name="X")
    if not np.isfinite(arr).all():
        raise DataError(
            "cluster_metrics: X contains NaN or infinite values; pass the finite matrix "
            "that was clustered."
        )
    lab = _as_label_array(labels)
    if lab.shape[0] != arr.shape[0]:
        raise DataError(
            f"cluster_metrics: X has {arr.shape[0]} rows but labels has {lab.shape[0]}; "
            "pass one label per row of X."
        )
    sample_size = check_int(
        "cluster_metrics", "sample_size", sample_size, minimum=2, hint="Use e.g. 10_000."
    )
    n = arr.shape[0]
    clustered = lab != NOISE
    _, sizes = np.unique(lab[clustered], return_counts=True)
    out: dict[str, float] = {
        "noise_share": float((~clustered).sum() / n) if n else math.nan,
        "n_clusters": int(sizes.size),
        "smallest_share": float(sizes.min() / n) if sizes.size else math.nan,
        "largest_share": float(sizes.max() / n) if sizes.size else math.nan,
    }
    X_c, lab_c = arr[clustered], lab[clustered]
    rows = sample_rows(X_c.shape[0], sample_size, random_state)
    indices = validity_indices(X_c, lab_c, silhouette_rows=rows)
    return {**indices, **out}
