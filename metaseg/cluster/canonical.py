"""Canonical numbering of sub-segments: largest first, noise left as it is.

Clustering algorithms number their clusters in an arbitrary order (k-means by
initialisation, HDBSCAN by position in its tree). metaseg renumbers them by size so
that sub-segment 0 is always the largest, reruns with the same seed give the same
numbers and reports read the same way from one run to the next.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from metaseg._messages import preview
from metaseg.exceptions import DataError
from metaseg.schema import NOISE

__all__ = ["apply_mapping", "canonical_relabel", "canonical_mapping"]


def _as_label_array(labels: npt.ArrayLike, name: str = "labels") -> np.ndarray:
    """Return ``labels`` as a 1-D int64 array, refusing anything that is not a label."""
    arr = np.asarray(labels)
    if arr.ndim != 1:
        raise DataError(
            f"{name} must be one-dimensional (one label per row), got shape {arr.shape}. "
            "Pass a 1-D array or a pandas Series."
        )
    if arr.dtype.kind == "b" or (arr.dtype.kind not in "iuf" and arr.size):
        raise DataError(
            f"{name} must hold integer cluster numbers, got dtype {arr.dtype} "
            f"(first values {preview(arr[:5].tolist())}). Pass integer labels, -1 for noise."
        )
    if arr.dtype.kind == "f":
        not_int = ~np.isfinite(arr) | (arr != np.round(arr))
        if not_int.any():
            raise DataError(
                f"{name} must hold integer cluster numbers, got {int(not_int.sum())} "
                f"non-integer values such as {preview(arr[not_int][:5].tolist())}. "
                "Pass integer labels, -1 for noise."
            )
    out = arr.astype(np.int64)
    bad = out < NOISE
    if bad.any():
        raise DataError(
            f"{name} may use -1 for noise but no other negative number; got "
            f"{int(bad.sum())} labels such as {preview(np.unique(out[bad])[:5].tolist())}. "
            "Number clusters 0, 1, 2, ... and mark noise with -1."
        )
    return out


def canonical_mapping(labels: npt.ArrayLike) -> dict[int, int]:
    """Return the map from original cluster numbers to canonical ones.

    Clusters are ordered by size, largest first; clusters of equal size keep the
    order of their original numbers (the smallest original number comes first).
    Noise (``-1``) is not part of the map.

    Parameters
    ----------
    labels : array-like of int, shape (n_samples,)
        Cluster numbers, ``-1`` for noise.

    Returns
    -------
    dict of int to int
        ``{original: canonical}`` for every cluster present in ``labels``.

    Examples
    --------
    >>> canonical_mapping([5, 5, 2, 7, 7, 7, -1])
    {7: 0, 5: 1, 2: 2}
    """
    arr = _as_label_array(labels)
    clusters, counts = np.unique(arr[arr != NOISE], return_counts=True)
    # np.unique sorts the clusters ascending; a stable sort on -count keeps that
    # order among clusters of equal size, which is the deterministic tie-break.
    order = np.argsort(-counts, kind="stable")
    return {int(clusters[i]): rank for rank, i in enumerate(order)}


def apply_mapping(labels: npt.ArrayLike, mapping: Mapping[int, int]) -> np.ndarray:
    """Renumber ``labels`` with ``mapping``, leaving noise (``-1``) as it is.

    Parameters
    ----------
    labels : array-like of int, shape (n_samples,)
        Cluster numbers, ``-1`` for noise.
    mapping : mapping of int to int
        ``{original: new}``; every cluster present in ``labels`` must have an entry.

    Returns
    -------
    numpy.ndarray of int64
        The renumbered labels.

    Examples
    --------
    >>> apply_mapping([0, 1, -1, 1], {0: 1, 1: 0}).tolist()
    [1, 0, -1, 0]
    """
    arr = _as_label_array(labels)
    missing = sorted(set(np.unique(arr[arr != NOISE]).tolist()) - set(mapping))
    if missing:
        raise DataError(
            f"labels contain clusters {preview(missing)} that the mapping does not cover "
            f"(it maps {preview(sorted(mapping))}). Build the mapping from the same clustering."
        )
    out = np.full(arr.shape, NOISE, dtype=np.int64)
    for old, new in mapping.items():
        out[arr == old] = new
    return out


def canonical_relabel(labels: npt.ArrayLike) -> tuple[np.ndarray, dict[int, int]]:
    """Renumber clusters by size, largest first, leaving noise (``-1``) as it is.

    Parameters
    ----------
    labels : array-like of int, shape (n_samples,)
        Cluster numbers as an algorithm produced them, ``-1`` for noise.

    Returns
    -------
    new_labels : numpy.ndarray of int64, shape (n_samples,)
        Labels numbered ``0 .. n_clusters - 1``; ``0`` is the largest cluster and
        clusters of equal size are ordered by their original number.
    mapping : dict of int to int
        ``{original: canonical}`` for every cluster (noise excluded), to renumber
        later predictions or reorder centres.

    Examples
    --------
    >>> new, mapping = canonical_relabel([3, 3, 1, -1, 1, 1, 0])
    >>> new.tolist()
    [1, 1, 0, -1, 0, 0, 2]
    >>> mapping
    {1: 0, 3: 1, 0: 2}
    """
    mapping = canonical_mapping(labels)
    return apply_mapping(labels, mapping), mapping
