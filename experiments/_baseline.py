"""The hand-written pipeline metaseg is compared with: what one writes in a notebook without it.

Plain pandas ``groupby`` for the RFM facts and the activity counts, ``StandardScaler``
on all customers together (no rule segments), then either k-means with k chosen by the
silhouette computed on *every* row (no sampling) or HDBSCAN on every row. Used by
``experiments/bench_scale.py``; nothing in ``metaseg`` imports it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from metaseg import schema

#: The features of the hand-written pipeline: RFM plus the activity counts.
FEATURES = ("recency_days", "frequency", "monetary", "n_views", "n_add_to_cart")
#: k tried by the hand-written k-means search (a typical notebook range).
K_RANGE = tuple(range(2, 11))
#: Recency given to customers who never bought (a notebook's usual "large value").
NO_PURCHASE_RECENCY = 9_999.0


def rfm_facts(events: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Recency, frequency, monetary, views and carts per customer with pandas groupby.

    Examples
    --------
    >>> events = pd.DataFrame({
    ...     "customer_id": [1, 1, 2],
    ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-11", "2024-01-05"], utc=True),
    ...     "event_type": ["purchase", "purchase", "view"],
    ...     "amount": [10.0, 30.0, float("nan")],
    ...     "order_id": [1, 2, None],
    ... })
    >>> rfm_facts(events, pd.Timestamp("2024-01-31", tz="UTC"))["frequency"].tolist()
    [2, 0]
    """
    events = events[events[schema.TIMESTAMP] <= as_of]
    kind = events[schema.EVENT_TYPE].astype("str")
    purchases = events[kind == schema.PURCHASE]
    refunds = events[kind == schema.REFUND]
    ids = pd.Index(np.sort(events[schema.CUSTOMER_ID].unique()), name=schema.CUSTOMER_ID)
    by_buyer = purchases.groupby(schema.CUSTOMER_ID)
    last_purchase = by_buyer[schema.TIMESTAMP].max().reindex(ids)
    recency = (as_of - last_purchase).dt.total_seconds() / 86_400
    frequency = by_buyer[schema.ORDER_ID].nunique().reindex(ids, fill_value=0)
    gross = by_buyer[schema.AMOUNT].sum().reindex(ids, fill_value=0.0)
    refunded = refunds.groupby(schema.CUSTOMER_ID)[schema.AMOUNT].sum()
    counts = pd.crosstab(events[schema.CUSTOMER_ID], kind).reindex(ids, fill_value=0)
    return pd.DataFrame(
        {
            "recency_days": recency.fillna(NO_PURCHASE_RECENCY),
            "frequency": frequency.astype("int64"),
            "monetary": gross - refunded.reindex(ids, fill_value=0.0),
            "n_views": counts.get(schema.VIEW, 0),
            "n_add_to_cart": counts.get(schema.ADD_TO_CART, 0),
        },
        index=ids,
    ).reset_index()


def scaled_matrix(facts: pd.DataFrame) -> np.ndarray:
    """``StandardScaler`` on the features of all customers."""
    from sklearn.preprocessing import StandardScaler

    return StandardScaler().fit_transform(facts[list(FEATURES)].to_numpy(dtype=np.float64))


@dataclass
class KMeansSearch:
    """What the full-silhouette k search did."""

    labels: np.ndarray | None = None
    best_k: int | None = None
    silhouettes: dict[int, float] = field(default_factory=dict)
    seconds: dict[int, float] = field(default_factory=dict)
    stopped_early: bool = False


def kmeans_full_silhouette(
    X: np.ndarray,
    *,
    time_budget: float,
    random_state: int = 0,
    on_k: Callable[[KMeansSearch], None] | None = None,
) -> KMeansSearch:
    """k-means for every k in :data:`K_RANGE`, k chosen by the silhouette on all rows.

    The search stops (``stopped_early``) when the next k would start after
    ``time_budget`` seconds; the best k so far is kept. ``on_k`` is called after each
    k (progress reports of a run that may be killed). The silhouette of all rows
    costs O(n^2) distances, which is what makes this pipeline slow at scale.
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    search = KMeansSearch()
    start = time.perf_counter()
    best = -np.inf
    for k in K_RANGE:
        if time.perf_counter() - start > time_budget:
            search.stopped_early = True
            break
        t = time.perf_counter()
        model = KMeans(n_clusters=k, n_init=4, random_state=random_state).fit(X)
        score = float(silhouette_score(X, model.labels_))
        search.silhouettes[k] = score
        search.seconds[k] = time.perf_counter() - t
        if score > best:
            best, search.best_k, search.labels = score, k, model.labels_.copy()
        if on_k is not None:
            on_k(search)
    return search


def hdbscan_all_rows(X: np.ndarray, *, min_cluster_size: int) -> np.ndarray:
    """HDBSCAN on every row (noise is -1)."""
    import hdbscan

    return hdbscan.HDBSCAN(min_cluster_size=min_cluster_size, core_dist_n_jobs=1).fit_predict(X)
