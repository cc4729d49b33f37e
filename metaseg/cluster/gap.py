"""The gap statistic: is there any cluster structure, or is the data one population?

Tibshirani, Walther and Hastie (2001), "Estimating the number of clusters in a data set
via the gap statistic", J. R. Statist. Soc. B 63(2). For every k the log of the k-means
within-cluster sum of squares of the data is compared with its mean over reference data
sets drawn uniformly in the box aligned with the data's principal components (the
paper's second reference, which follows the shape of an elongated or correlated cloud):

    Gap(k) = mean_b log W_k(reference_b) - log W_k(data)

with the standard error ``s_k = sd_b(log W_k(reference_b)) * sqrt(1 + 1/B)``. A single
population, however skewed or correlated, gains no more from k clusters than the
reference does, so its gap never rises above Gap(1); data with groups does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["gap_statistic", "structure_evidence"]


def _within_ss(X: np.ndarray, k: int, fit_kmeans: Callable[[np.ndarray, int], Any]) -> float:
    if k == 1:
        return float(((X - X.mean(axis=0)) ** 2).sum())
    return float(fit_kmeans(X, k).inertia_)


def gap_statistic(
    X: np.ndarray,
    ks: Sequence[int],
    *,
    n_references: int,
    random_state: int,
    fit_kmeans: Callable[[np.ndarray, int], Any],
) -> pd.DataFrame:
    """Gap(k) and its standard error for each k, against principal-box references.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The (sampled, scaled) rows.
    ks : sequence of int
        The numbers of clusters to evaluate (1 included for the test).
    n_references : int
        Uniform reference data sets (B in the paper).
    random_state : int
        Seeds the references.
    fit_kmeans : callable
        ``fit_kmeans(X, k)`` returns a fitted k-means with ``inertia_``; the same
        algorithm and seeds as for the data.

    Returns
    -------
    DataFrame
        Index ``k``; columns ``gap`` and ``gap_se``.

    Examples
    --------
    >>> from sklearn.cluster import KMeans
    >>> rng = np.random.default_rng(0)
    >>> blobs = np.vstack([rng.normal(0, 0.3, (100, 2)), rng.normal(4, 0.3, (100, 2))])
    >>> fit = lambda A, k: KMeans(k, n_init="auto", random_state=0).fit(A)
    >>> table = gap_statistic(blobs, [1, 2, 3], n_references=5, random_state=0, fit_kmeans=fit)
    >>> bool(table.loc[2, "gap"] > table.loc[1, "gap"] + table.loc[2, "gap_se"])
    True
    """
    rng = np.random.default_rng(random_state)
    centre = X.mean(axis=0)
    _, _, axes = np.linalg.svd(X - centre, full_matrices=False)
    rotated = (X - centre) @ axes.T
    low, high = rotated.min(axis=0), rotated.max(axis=0)
    references = [
        rng.uniform(low, high, size=rotated.shape) @ axes + centre for _ in range(n_references)
    ]
    records = []
    for k in ks:
        data = np.log(_within_ss(X, k, fit_kmeans))
        reference = np.log([_within_ss(R, k, fit_kmeans) for R in references])
        records.append(
            {
                "k": int(k),
                "gap": float(reference.mean() - data),
                "gap_se": float(reference.std() * np.sqrt(1.0 + 1.0 / n_references)),
            }
        )
    return pd.DataFrame.from_records(records).set_index("k")


#: Standard errors by which some Gap(k) must exceed Gap(1) to show structure. One would
#: be Tibshirani's rule for one comparison; the test takes the best of up to seven k,
#: so two keep a uniform cloud whole.
N_STANDARD_ERRORS = 2.0


def structure_evidence(gaps: pd.DataFrame) -> tuple[bool, int, str]:
    """Decide whether the gap table shows cluster structure.

    There is structure when some k >= 2 has ``Gap(k) - 2 s_k > Gap(1)``: k clusters fit
    the data better than they fit structureless data, by more than the references'
    own noise.

    Returns
    -------
    split : bool
    k : int
        The k >= 2 with the largest ``Gap(k) - s_k``.
    why : str
        The comparison, for ``decision_`` and reports.

    Examples
    --------
    >>> table = pd.DataFrame({"gap": [1.0, 1.3, 1.2], "gap_se": [0.0, 0.02, 0.02]},
    ...                      index=pd.Index([1, 2, 3], name="k"))
    >>> structure_evidence(table)[:2]
    (True, 2)
    """
    one = float(gaps.loc[1, "gap"])
    lower = (gaps["gap"] - N_STANDARD_ERRORS * gaps["gap_se"]).drop(index=1)
    k = int(lower.idxmax())
    split = bool(lower.loc[k] > one)
    relation = ">" if split else "<="
    why = (
        f"gap test: Gap({k}) - {N_STANDARD_ERRORS:g} se = {gaps.loc[k, 'gap']:.3f} - "
        f"{N_STANDARD_ERRORS:g} x {gaps.loc[k, 'gap_se']:.3f} {relation} Gap(1) = {one:.3f}"
    )
    return split, k, why
