"""Scores 1..N from facts, by learned quantiles or fixed cuts, and the codes they form.

A quantile score is learned once, from the data given to ``fit``, and stored as value
thresholds (*cut points*). Scoring — of the fit data and of any later data alike — is
then a ``searchsorted`` against those thresholds, so scoring next month's customers does
not re-rank everyone, and ``fit_predict(X)`` equals ``fit(X).predict(X)``.

How the thresholds are learned (``method: quantile``), like
``pd.qcut(values.rank(method=...), bins)`` but independent of row order:

1. the fit values (missing ones left out) are ranked 1..n like
   ``Series.rank(method=ties)``;
2. the rank scale is cut into ``bins`` equal parts, the edges of
   ``pd.qcut(range(1, n + 1), bins)`` (intervals closed on the right; computed in
   exact arithmetic, where pandas' floating-point quantiles can move a rank that lies
   exactly on an edge);
3. a value's score is the part its rank falls in, and cut point ``k`` is the largest
   fit value scored ``k`` or less.

All customers with the same value get the same score. ``ties`` decides where a group of
equal values that straddles an edge goes: ``first`` and ``min`` place it by its first
(lowest) rank, so every score is filled as far as possible (the usual choice for
frequency, where many customers share a count); ``max`` by its highest rank;
``average`` (the default) by its mean rank, i.e. where most of the group lies;
``dense`` ranks the distinct values 1..d and cuts that scale instead, so each distinct
value weighs the same however many customers share it. For distinct values every
choice gives exactly ``pd.qcut(values, bins)``. A score can end up empty when one value
holds more than a bin's share of customers; coverage reports show that.

With ``method: fixed`` the cut points are given: score ``k`` covers
``(cuts[k-2], cuts[k-1]]``, like ``pd.cut`` with right-closed intervals.

``direction: descending`` turns the scale around (``N + 1 - score``), so a low
``recency_days`` scores high. Missing facts get ``missing`` (default the lowest score,
1; 0 means unscored, a digit no pattern 1..N matches) and are counted.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from metaseg.exceptions import DataError

# Codes of up to this many digits are written through a table of all 10**width codes.
_LOOKUP_WIDTH = 4


def learn_cut_points(values: np.ndarray, *, bins: int, ties: str = "average") -> np.ndarray:
    """Learn ``bins - 1`` value thresholds from ``values`` (NaN ignored).

    Parameters
    ----------
    values : ndarray of float
        The fit values.
    bins : int
        Number of scores (2..9).
    ties : {"average", "min", "max", "dense", "first"}
        How tied values are ranked before binning.

    Returns
    -------
    ndarray of float, shape (bins - 1,)
        Non-decreasing thresholds; equal neighbours mean an empty bin between them.

    Raises
    ------
    DataError
        If every value is missing.

    Examples
    --------
    >>> learn_cut_points(np.arange(1.0, 11.0), bins=5).tolist()
    [2.0, 4.0, 6.0, 8.0]
    """
    x = np.asarray(values, dtype="float64")
    x = np.sort(x[~np.isnan(x)], kind="stable")
    if x.size == 0:
        raise DataError("every value is missing, so no quantile cut points can be learned")
    if ties == "dense":
        _, inverse = np.unique(x, return_inverse=True)
        ranks = inverse.astype("float64") + 1.0
        top = float(inverse[-1] + 1)
    else:
        method = "min" if ties == "first" else ties
        ranks = pd.Series(x).rank(method=method).to_numpy(dtype="float64")
        top = float(x.size)
    edges = 1.0 + (top - 1.0) * np.arange(1, bins) / bins
    score = np.searchsorted(edges, ranks, side="left") + 1
    # x and score are both non-decreasing, so the largest value with score <= k sits
    # just before the first position whose score exceeds k.
    last = np.searchsorted(score, np.arange(1, bins), side="right") - 1
    return np.where(last >= 0, x[np.maximum(last, 0)], -np.inf)


def apply_cut_points(
    values: np.ndarray,
    cut_points: np.ndarray,
    *,
    descending: bool = False,
    missing_score: int = 1,
) -> np.ndarray:
    """Score values against thresholds: 1 + the number of cut points below each value.

    Parameters
    ----------
    values : ndarray of float
        Values to score; NaN gets ``missing_score``.
    cut_points : ndarray of float
        Non-decreasing thresholds (``bins - 1`` of them).
    descending : bool
        Reverse the scale so the smallest values score highest.
    missing_score : int
        The score of missing values (already on the final, possibly reversed, scale).

    Returns
    -------
    ndarray of int8

    Examples
    --------
    >>> apply_cut_points(np.array([1.0, 2.0, 2.5, np.nan]), np.array([2.0, 4.0])).tolist()
    [1, 1, 2, 1]
    >>> apply_cut_points(np.array([1.0, 5.0]), np.array([2.0, 4.0]), descending=True).tolist()
    [3, 1]
    """
    x = np.asarray(values, dtype="float64")
    cuts = np.asarray(cut_points, dtype="float64")
    missing = np.isnan(x)
    score = np.searchsorted(cuts, np.where(missing, -np.inf, x), side="left") + 1
    if descending:
        score = len(cuts) + 2 - score
    score = np.where(missing, missing_score, score)
    return score.astype("int8")


def code_strings(scores: Sequence[np.ndarray]) -> np.ndarray:
    """Join single-digit score arrays into code strings, e.g. R=4, F=5 → ``"45"``.

    Examples
    --------
    >>> code_strings([np.array([4, 0]), np.array([5, 3])]).tolist()
    ['45', '03']
    """
    if not scores:
        raise ValueError("a code needs at least one score")
    width = len(scores)
    number = np.zeros(len(scores[0]), dtype="int64")
    for column in scores:
        number = number * 10 + np.asarray(column, dtype="int64")
    if width <= _LOOKUP_WIDTH:
        # every possible code, written once with its leading zeros ("00" for R=0, F=0)
        table = np.array([str(i).zfill(width) for i in range(10**width)], dtype=object)
        return table[number]
    return np.char.zfill(number.astype(str), width).astype(object)
