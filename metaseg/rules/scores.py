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

With ``ties`` other than ``first``, all customers with the same value get the same
score, and ``ties`` decides where a group of equal values that straddles an edge goes:
``min`` places it by its first (lowest) rank, so every score is filled as far as
possible; ``max`` by its highest rank; ``average`` (the default) by its mean rank, i.e.
where most of the group lies; ``dense`` ranks the distinct values 1..d and cuts that
scale instead, so each distinct value weighs the same however many customers share it.
A score can end up empty when one value holds more than a bin's share of customers;
coverage reports show that. For distinct values every choice gives exactly
``pd.qcut(values, bins)``, and ``min`` gives ``pd.qcut(values, bins)`` for any values
(a quantile that falls inside a group of equal values equals that value, and the
intervals are closed on the right).

``ties: first`` splits a group of equal values at a bin edge, like
``pd.qcut(values.rank(method="first"), bins)`` on the values sorted by a stable
secondary key (``customer_id`` by default): the fit customers are ordered by
(value, key) and ranked 1..n, so every score gets its share of customers even when
most of them share one value. The learned cut points are then (value, key) *pairs*
(:func:`learn_cut_pairs`), and a customer's score is 1 + the number of cut pairs
below its own (value, key) pair, compared value first, key second. A later customer
whose value lies strictly between two cut values is scored by the value alone; one
whose value equals a cut value exactly is placed by its key, where it would have been
ranked among the fit customers: a key up to the edge customer's key takes the lower
score, a larger key the higher one. So the score depends on the customer's own row
only, ``predict`` is deterministic and scoring the fit customers again reproduces the
fit-time ranking. Customers with equal (value, key) pairs share a score.

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
    ties : {"average", "min", "max", "dense"}
        How tied values are ranked before binning (``first`` is
        :func:`learn_cut_pairs`).

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
    if ties == "first":
        raise ValueError(
            "ties='first' orders equal values by a secondary key; learn its (value, key) "
            "cut points with learn_cut_pairs(values, keys, bins=...)"
        )
    x = np.asarray(values, dtype="float64")
    x = np.sort(x[~np.isnan(x)], kind="stable")
    if x.size == 0:
        raise DataError("every value is missing, so no quantile cut points can be learned")
    if ties == "dense":
        _, inverse = np.unique(x, return_inverse=True)
        ranks = inverse.astype("float64") + 1.0
        top = float(inverse[-1] + 1)
    else:
        ranks = pd.Series(x).rank(method=ties).to_numpy(dtype="float64")
        top = float(x.size)
    last = _last_of_each_score(ranks, top, bins)
    return np.where(last >= 0, x[np.maximum(last, 0)], -np.inf)


def learn_cut_pairs(
    values: np.ndarray, keys: np.ndarray, *, bins: int
) -> tuple[np.ndarray, np.ndarray]:
    """Learn ``bins - 1`` (value, key) cut pairs: quantiles of ranks ``first`` by key.

    The values (NaN and their keys left out) are ordered by value, then key, and ranked
    1..n; the rank scale is cut like ``pd.qcut(range(1, n + 1), bins)``, and cut pair
    ``k`` is the (value, key) of the last customer scored ``k`` or less. With the
    values in key order, the scores equal
    ``pd.qcut(pd.Series(values).rank(method="first"), bins)``.

    Parameters
    ----------
    values : ndarray of float
        The fit values.
    keys : ndarray
        The secondary key of each value (numbers or text, not missing), e.g. the
        customer ids.
    bins : int
        Number of scores (2..9).

    Returns
    -------
    cut_values : ndarray of float, shape (bins - 1,)
    cut_keys : ndarray, shape (bins - 1,)
        Non-decreasing pairs; equal neighbours mean an empty bin between them.

    Raises
    ------
    DataError
        If every value is missing.

    Examples
    --------
    Six customers, four of whom bought once: the ones are split by customer id.

    >>> values = np.array([1.0, 1.0, 1.0, 1.0, 2.0, 5.0])
    >>> ids = np.array([14, 11, 13, 12, 10, 15])
    >>> cut_values, cut_keys = learn_cut_pairs(values, ids, bins=3)
    >>> cut_values.tolist(), cut_keys.tolist()
    ([1.0, 1.0], [12, 14])
    >>> apply_cut_points(values, cut_values, keys=ids, cut_keys=cut_keys).tolist()
    [2, 1, 2, 1, 3, 3]
    """
    x = np.asarray(values, dtype="float64")
    k = np.asarray(keys)
    if k.shape != x.shape:
        raise ValueError(f"values and keys differ in shape: {x.shape} and {k.shape}")
    present = ~np.isnan(x)
    x, k = x[present], k[present]
    if x.size == 0:
        raise DataError("every value is missing, so no quantile cut points can be learned")
    by_key = np.argsort(k, kind="stable")
    order = by_key[np.argsort(x[by_key], kind="stable")]
    x, k = x[order], k[order]
    ranks = np.arange(1.0, x.size + 1.0)
    # with distinct ranks score 1 always holds rank 1, so every cut has a customer
    last = _last_of_each_score(ranks, float(x.size), bins)
    return x[last], k[last]


def _last_of_each_score(ranks: np.ndarray, top: float, bins: int) -> np.ndarray:
    """Position of the last sorted value scored ``k`` or less, for k = 1..bins-1 (-1: none).

    The rank scale 1..top is cut into ``bins`` equal parts, intervals closed on the
    right; ranks must be non-decreasing along the sorted values.
    """
    edges = 1.0 + (top - 1.0) * np.arange(1, bins) / bins
    score = np.searchsorted(edges, ranks, side="left") + 1
    # score is non-decreasing, so the largest value with score <= k sits just before
    # the first position whose score exceeds k.
    return np.searchsorted(score, np.arange(1, bins), side="right") - 1


def apply_cut_points(
    values: np.ndarray,
    cut_points: np.ndarray,
    *,
    keys: np.ndarray | None = None,
    cut_keys: np.ndarray | None = None,
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
    keys, cut_keys : ndarray, optional
        With ``ties: first`` (:func:`learn_cut_pairs`): the secondary key of each value
        and of each cut point. A cut point is then below a value when its (value, key)
        pair is, so a value equal to a cut value takes the higher score only when its
        key is larger than the cut's.
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
    >>> apply_cut_points(np.array([2.0, 2.0]), np.array([2.0, 4.0]),
    ...                  keys=np.array([7, 9]), cut_keys=np.array([8, 3])).tolist()
    [1, 2]
    """
    x = np.asarray(values, dtype="float64")
    cuts = np.asarray(cut_points, dtype="float64")
    missing = np.isnan(x)
    present = np.where(missing, -np.inf, x)
    score = np.searchsorted(cuts, present, side="left") + 1
    if cut_keys is not None:
        if keys is None:
            raise ValueError("cut_keys need the keys of the values (ties='first')")
        key_array = np.asarray(keys)
        for cut, cut_key in zip(cuts, np.asarray(cut_keys), strict=True):
            on_edge = np.flatnonzero(~missing & (present == cut))
            if on_edge.size:
                above = np.asarray(key_array[on_edge] > cut_key, dtype=bool)
                score[on_edge] += above
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
