"""Similarity of sub-segments across two segmentations of one base segment.

Two measures, both in [0, 1]:

* member overlap — the Jaccard index of the customer sets, counted over customers
  labelled by both segmentations;
* centre similarity — ``exp(-d)`` where ``d`` is the root-mean-square difference of
  the sub-segments' profile means (raw fact units) divided by the previous base
  segment's standard deviation of each fact. It is used where the two segmentations
  share too few customers for an overlap to mean anything.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from metaseg import schema


def overlap_matrix(
    previous_codes: np.ndarray,
    new_codes: np.ndarray,
    previous_ids: list[int],
    new_ids: list[int],
    base: str,
) -> np.ndarray:
    """Jaccard index of every (previous, new) pair of sub-segments of ``base``.

    ``previous_codes`` and ``new_codes`` are the segment codes of the same customers
    (aligned), as given by each segmentation.

    Examples
    --------
    >>> prev = np.array(["a/0", "a/0", "a/1", "b/0"])
    >>> new = np.array(["a/0", "a/1", "a/1", "b/0"])
    >>> overlap_matrix(prev, new, [0, 1], [0, 1], "a").round(2).tolist()
    [[0.5, 0.33], [0.0, 0.5]]
    """
    out = np.zeros((len(previous_ids), len(new_ids)), dtype=np.float64)
    prev_masks = [previous_codes == schema.segment_code(base, i) for i in previous_ids]
    new_masks = [new_codes == schema.segment_code(base, j) for j in new_ids]
    for a, pm in enumerate(prev_masks):
        n_prev = int(pm.sum())
        for b, nm in enumerate(new_masks):
            inter = int((pm & nm).sum())
            union = n_prev + int(nm.sum()) - inter
            out[a, b] = inter / union if union else 0.0
    return out


def centre_matrix(
    previous_profile: pd.DataFrame,
    new_profile: pd.DataFrame,
    previous_ids: list[int],
    new_ids: list[int],
) -> np.ndarray:
    """``exp(-d)`` for every (previous, new) pair, ``d`` the standardised centre distance.

    Both profiles are one base segment's rows of ``model.profiles_`` (columns
    ``sub_segment``, ``feature``, ``mean``, ``parent_std``). Facts profiled by both are
    compared; each difference of means is divided by the previous base segment's
    standard deviation of that fact (facts constant there are left out). Pairs without
    any comparable fact get 0.

    Examples
    --------
    >>> prev = pd.DataFrame({"sub_segment": [0, 1], "feature": ["x", "x"],
    ...                      "mean": [0.0, 4.0], "parent_std": [2.0, 2.0]})
    >>> new = pd.DataFrame({"sub_segment": [0], "feature": ["x"], "mean": [4.0],
    ...                     "parent_std": [2.0]})
    >>> centre_matrix(prev, new, [0, 1], [0]).round(3).tolist()
    [[0.135], [1.0]]
    """
    prev_means = previous_profile.pivot_table(
        index=schema.SUB_SEGMENT, columns="feature", values="mean", aggfunc="first"
    )
    new_means = new_profile.pivot_table(
        index=schema.SUB_SEGMENT, columns="feature", values="mean", aggfunc="first"
    )
    scale = previous_profile.groupby("feature")["parent_std"].first()
    features = [
        f
        for f in prev_means.columns
        if f in new_means.columns and np.isfinite(scale.get(f, np.nan)) and scale[f] > 0
    ]
    out = np.zeros((len(previous_ids), len(new_ids)), dtype=np.float64)
    if not features:
        return out
    p = prev_means.reindex(index=previous_ids, columns=features).to_numpy(dtype=np.float64)
    n = new_means.reindex(index=new_ids, columns=features).to_numpy(dtype=np.float64)
    s = scale[features].to_numpy(dtype=np.float64)
    diff = (p[:, None, :] - n[None, :, :]) / s
    ok = np.isfinite(diff)
    counts = ok.sum(axis=2)
    squares = np.where(ok, diff**2, 0.0).sum(axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        distance = np.sqrt(squares / counts)
    return np.where(counts > 0, np.exp(-distance), 0.0)
