"""The range of k an automatic clusterer searches, and a word when its choice hits the top.

Shared by :class:`~metaseg.cluster.AutoKMeans` and
:class:`~metaseg.cluster.AutoGaussianMixture`: either a range ``[k_min, k_max]`` or a fixed
``n_clusters``, never both.
"""

from __future__ import annotations

from typing import Any

from metaseg._params import check_int
from metaseg.exceptions import ConfigError

#: The range every automatic clusterer searches by default.
DEFAULT_K_MIN, DEFAULT_K_MAX = 1, 8


def k_range(
    owner: str, k_min: Any, k_max: Any, n_clusters: Any, *, smallest: int
) -> tuple[int, int]:
    """``(k_min, k_max)`` to search: the range given, or ``(n, n)`` for ``n_clusters=n``.

    Parameters
    ----------
    owner : str
        The estimator, named in messages.
    k_min, k_max, n_clusters
        The estimator's parameters.
    smallest : int
        The smallest k the estimator can fit (2 for k-means, 1 for a mixture).

    Raises
    ------
    ConfigError
        A value is not an integer in range, ``k_max < k_min``, or ``n_clusters`` is given
        with a range other than the default.

    Examples
    --------
    >>> k_range("AutoKMeans", 1, 8, 3, smallest=2)
    (3, 3)
    >>> k_range("AutoKMeans", 2, 5, None, smallest=2)
    (2, 5)
    """
    if n_clusters is not None:
        if (k_min, k_max) != (DEFAULT_K_MIN, DEFAULT_K_MAX):
            raise ConfigError(
                f"{owner}: give either n_clusters (a fixed k) or k_min/k_max (a range), got "
                f"n_clusters={n_clusters!r} with k_min={k_min!r} and k_max={k_max!r}. Remove "
                "one of them."
            )
        hint = "Use algorithm 'none' to keep a segment whole." if smallest > 1 else "Use 1 or more."
        n = check_int(owner, "n_clusters", n_clusters, minimum=smallest, hint=hint)
        return n, n
    low = check_int(owner, "k_min", k_min, minimum=1, hint="Use k_min=1 (may stay whole) or more.")
    high = check_int(owner, "k_max", k_max, minimum=smallest, hint="Use k_max >= k_min (e.g. 8).")
    if high < low:
        raise ConfigError(
            f"{owner}: k_max must be >= k_min, got k_max={high} and k_min={low}. "
            "Raise k_max or lower k_min."
        )
    return low, high


def top_of_range(best_k: int, k_min: int, k_max: int, searched_max: int) -> str | None:
    """A note when the chosen k is the largest of a real range (more groups may exist).

    Examples
    --------
    >>> top_of_range(8, 1, 8, 8)
    'the chosen k=8 is the largest tried (k_max=8): the data may hold more groups; raise k_max to look further'
    >>> top_of_range(8, 8, 8, 8) is None  # a fixed k
    True
    """
    if k_max > k_min and best_k >= 2 and best_k == k_max == searched_max:
        return (
            f"the chosen k={best_k} is the largest tried (k_max={k_max}): the data may hold "
            "more groups; raise k_max to look further"
        )
    return None


def warn_about_choice(estimator: Any, n_rows: int, k_min: int, k_max: int) -> None:
    """After a fit: note and warn when k hit the top of its range, or nothing was compared.

    Shared by the automatic clusterers' ``fit``; warnings point at the caller of ``fit``.
    """
    import warnings

    from metaseg.exceptions import ClusteringWarning

    owner = type(estimator).__name__
    limit = top_of_range(estimator.best_k_, k_min, k_max, estimator.k_max_)
    if limit is not None:
        estimator.notes_.append(limit)
        warnings.warn(f"{owner}: {limit}.", ClusteringWarning, stacklevel=3)
    if estimator.fallback_reason_ is not None:
        warnings.warn(
            f"{owner} left all {n_rows} rows in one cluster 0: {estimator.fallback_reason_}.",
            ClusteringWarning,
            stacklevel=3,
        )
