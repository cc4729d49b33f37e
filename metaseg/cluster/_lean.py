"""Scoring copies of fitted clusterers: what ``predict`` and ``predict_proba`` read, nothing else.

A fitted clusterer keeps per-row state of the rows it was fitted on (``labels_``,
``probabilities_``; for HDBSCAN also the raw data, the single-linkage and minimum
spanning trees and the outlier scores). Assignment never reads them, so the copy a
registered model carries leaves them out; the in-memory estimator keeps them.

What HDBSCAN's prediction does need stays: the prediction data (its KD-tree, core
distances, exemplars and cluster tree), the condensed tree and the labels the
condensed tree is built with; with UMAP also the reducer and the training embedding.
"""

from __future__ import annotations

import copy
from typing import Any

#: Per-fit-row attributes of the metaseg clusterers that assignment never reads.
_FIT_ROWS = ("labels_", "probabilities_")
#: Attributes of a fitted ``hdbscan.HDBSCAN`` that its prediction never reads.
_HDBSCAN_FIT_ROWS = (
    "_raw_data",
    "_single_linkage_tree",
    "_min_spanning_tree",
    "_outlier_scores",
    "probabilities_",
)


def scoring_copy(clusterer: Any) -> Any:
    """A shallow copy of ``clusterer`` without its per-fit-row state.

    The arrays it keeps are shared with ``clusterer``, not copied. ``None`` stays None.

    Examples
    --------
    >>> import numpy as np
    >>> from metaseg.cluster import AutoKMeans
    >>> X = np.random.default_rng(0).normal(size=(300, 2))
    >>> model = AutoKMeans(n_clusters=3, random_state=0).fit(X)
    >>> lean = scoring_copy(model)
    >>> hasattr(lean, "labels_"), bool((lean.predict(X) == model.labels_).all())
    (False, True)
    """
    if clusterer is None:
        return None
    lean = copy.copy(clusterer)
    for name in _FIT_ROWS:
        lean.__dict__.pop(name, None)
    inner = getattr(lean, "hdbscan_", None)
    if inner is not None:
        inner = copy.copy(inner)
        for name in _HDBSCAN_FIT_ROWS:
            if name in inner.__dict__:
                inner.__dict__[name] = None
        data = inner.__dict__.get("_prediction_data")
        if data is not None and getattr(data, "raw_data", None) is not None:
            data = copy.copy(data)
            data.raw_data = None  # the KD-tree holds the points it queries
            inner._prediction_data = data
        lean.hdbscan_ = inner
    return lean
