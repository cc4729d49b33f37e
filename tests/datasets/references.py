"""References the generated shops are checked against, independent of metaseg's own code:
the six lifecycle rules written out in pandas, and the within-segment agreement of
sub-segments with planted personas."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score


def lifecycle_rules(facts: pd.DataFrame) -> pd.Series:
    """Apply the six lifecycle rules in their priority order."""
    rules = [
        ("new", facts["tenure_days"] <= 30),
        (
            "hesitant",
            (facts["carts_since_last_purchase"] >= 1)
            & facts["days_since_last_cart"].between(1, 30),
        ),
        ("active", facts["recency_days"] <= 90),
        ("interested", facts["days_since_last_view"] <= 30),
        ("dormant", (facts["recency_days"] > 90) & (facts["recency_days"] <= 365)),
        ("churned", facts["recency_days"] > 365),
    ]
    conditions = [mask.fillna(False).to_numpy(dtype=bool) for _, mask in rules]
    names = [name for name, _ in rules]
    return pd.Series(np.select(conditions, names, default="other"), index=facts.index)


def within_segment_ari(model, truth: pd.DataFrame, min_size: int = 150) -> float:  # type: ignore[no-untyped-def]
    """Customer-weighted mean ARI of the sub-segments against ``truth["persona"]`` inside
    every base segment of at least ``min_size`` customers."""
    labels = model.labels_.merge(truth, on="customer_id")
    scores, weights = [], []
    for _, part in labels.groupby("base_segment"):
        if len(part) >= min_size:
            scores.append(adjusted_rand_score(part["persona"], part["sub_segment"]))
            weights.append(len(part))
    return float(np.average(scores, weights=weights))
